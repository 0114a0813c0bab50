"""Byte ranges read every line exactly once, wherever the boundaries fall."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from stage2_log_analysis.errors import AnalysisConfigError
from stage2_log_analysis.ranges import ByteRange, iter_range_blocks, split_ranges


@pytest.fixture
def lines_file(tmp_path: Path) -> Path:
    path = tmp_path / "lines.log"
    lines = [f"line {i} " + "x" * (i % 37) for i in range(400)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("range_bytes", [1024, 1500, 2048, 4099, 10_000, 1 << 20])
@pytest.mark.parametrize("block_bytes", [7, 64, 1000, 1 << 16])
def test_ranges_cover_every_line_once(lines_file: Path, range_bytes: int, block_bytes: int):
    data = b"".join(
        block
        for rng in split_ranges(lines_file, range_bytes)
        for block in iter_range_blocks(rng, block_bytes)
    )
    assert data == lines_file.read_bytes()


def test_every_block_ends_on_a_line_boundary(lines_file: Path):
    for rng in split_ranges(lines_file, 1024):
        for block in iter_range_blocks(rng, 100):
            assert block.endswith(b"\n")


def test_a_file_without_final_newline_keeps_its_last_line(tmp_path: Path):
    path = tmp_path / "nofinal.log"
    path.write_bytes(b"a\nbb\nccc")
    got = b"".join(b for r in split_ranges(path, 1024) for b in iter_range_blocks(r, 2))
    assert got == b"a\nbb\nccc"


def test_a_range_that_owns_no_line_start_yields_nothing(tmp_path: Path):
    path = tmp_path / "long.log"
    path.write_bytes(b"x" * 5000 + b"\nshort\n")
    assert list(iter_range_blocks(ByteRange(str(path), 1000, 2000))) == []


def test_gzip_is_one_range_read_as_a_stream(tmp_path: Path, lines_file: Path):
    gz = tmp_path / "lines.log.gz"
    gz.write_bytes(gzip.compress(lines_file.read_bytes()))
    ranges = split_ranges(gz, 1024)
    assert len(ranges) == 1 and ranges[0].end is None
    assert b"".join(iter_range_blocks(ranges[0], 333)) == lines_file.read_bytes()


def test_split_ranges_rejects_a_tiny_range_size(lines_file: Path):
    with pytest.raises(AnalysisConfigError, match="range_bytes"):
        split_ranges(lines_file, 10)
