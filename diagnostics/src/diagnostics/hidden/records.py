"""What a sandbox reports back: one result per probed requirement, written as it goes."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from gradekit import write_atomic

__all__ = ["LogFile", "ProbeResult", "ResultWriter", "SandboxReport", "SandboxSpec", "Source"]

Source = Literal["implementation", "grader"]


class ProbeResult(BaseModel):
    """The verdict on one requirement, with what was seen (shown to the interviewer).

    ``source`` says whose code a failure came from: the candidate's (``implementation``, the
    normal case) or the hidden test's own (``grader``, a bug to report, never the candidate's).
    """

    id: str
    passed: bool
    evidence: str
    value: float | bool | str | None = None
    source: Source = "implementation"


class LogFile(BaseModel):
    """A generated log on disk and its number of ERROR lines (the memory probe's truth)."""

    path: str
    size_bytes: int
    errors: int


class SandboxSpec(BaseModel):
    """Everything a sandbox needs, passed as a JSON file so the command line stays short."""

    problem: int
    parent_pid: int  # the grader's process: the sandbox dies with it
    candidate_file: str
    out_path: str
    work_dir: str
    memory_limit_mb: int
    seed: int
    memory_logs: list[LogFile] = Field(default_factory=list)  # problem 2: small, then large
    memory_slack_mb: float = 8.0


class SandboxReport(BaseModel):
    """The sandbox's output file: ``status`` is ``running`` until every probe has run."""

    problem: int
    status: str = "running"  # running | done | import_error
    error: str = ""
    current: str = ""  # the requirement whose hidden test is running (for a hang's message)
    results: list[ProbeResult] = Field(default_factory=list)


class ResultWriter:
    """Rewrite the report atomically after every probe, so a hang or crash keeps what was done."""

    def __init__(self, path: Path, problem: int) -> None:
        self.path = path
        self.report = SandboxReport(problem=problem)
        self._flush()

    def start(self, probe_id: str) -> None:
        """Say which requirement's test runs now, so a hang or crash can be placed."""
        self.report.current = probe_id
        self._flush()

    def add(self, result: ProbeResult) -> None:
        """Record one probe's verdict and persist it at once."""
        self.report.results.append(result)
        self.report.current = ""
        self._flush()

    def finish(self, status: str = "done", error: str = "") -> None:
        """Mark the run finished (or failed to import) and persist it."""
        self.report.status = status
        self.report.error = error
        self._flush()

    def _flush(self) -> None:
        write_atomic(self.path, self.report.model_dump_json(indent=2))
