"""Slack failure alerts (실패 시 Slack 알림): one message format for Airflow and Prefect."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import httpx
from pydantic import BaseModel

__all__ = ["FailureAlert", "format_slack_message", "post_slack_message"]

log = logging.getLogger(__name__)


class FailureAlert(BaseModel):
    """Everything the on-call person needs to act on a failed run."""

    pipeline: str
    engine: str
    task: str
    day: date | None
    error: str
    run_id: str
    log_hint: str

    @property
    def headline(self) -> str:
        """One line, readable in a phone notification."""
        return (
            f"{self.pipeline} failed: task {self.task}, day {self.day or 'unknown'} ({self.engine})"
        )


def format_slack_message(alert: FailureAlert) -> dict[str, Any]:
    """The incoming-webhook payload: ``text`` for notifications, ``blocks`` for the channel."""
    error = alert.error if len(alert.error) <= 1500 else alert.error[:1500] + " …"
    fields = [
        ("Pipeline", alert.pipeline),
        ("Engine", alert.engine),
        ("Task", alert.task),
        ("Day", str(alert.day or "unknown")),
        ("Run", alert.run_id),
    ]
    return {
        "text": f":red_circle: {alert.headline}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": alert.headline[:150]}},
            {
                "type": "section",
                "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields],
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Error*\n```{error}```"}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"Logs: {alert.log_hint}"}],
            },
        ],
    }


def post_slack_message(webhook_url: str, message: dict[str, Any], *, timeout: float = 10.0) -> bool:
    """POST the message; returns False (and logs) instead of raising: an alert must not mask the
    failure it reports."""
    try:
        response = httpx.post(webhook_url, json=message, timeout=timeout)
        response.raise_for_status()
    except httpx.HTTPError as exc:
        log.error("could not send the Slack alert to %s: %s", webhook_url, exc)
        return False
    return True
