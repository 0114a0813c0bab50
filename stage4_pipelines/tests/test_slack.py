from datetime import date

from stage4_pipelines.slack import FailureAlert, format_slack_message, post_slack_message
from stage4_pipelines.slack_receiver import SlackReceiver

ALERT = FailureAlert(
    pipeline="ecommerce_etl",
    engine="airflow",
    task="quality_gate",
    day=date(2024, 1, 2),
    error="QualityGateError: day 2024-01-02 breached the quality SLA",
    run_id="manual__1",
    log_hint="http://localhost:8080/dags/ecommerce_etl/runs/manual__1",
)


def test_message_names_pipeline_task_day_error_and_logs():
    message = format_slack_message(ALERT)
    assert message["text"].startswith(":red_circle: ecommerce_etl failed: task quality_gate")
    body = str(message["blocks"])
    for expected in ("2024-01-02", "QualityGateError", "manual__1", "localhost:8080"):
        assert expected in body


def test_post_reaches_a_real_webhook_receiver():
    with SlackReceiver() as slack:
        assert post_slack_message(slack.url, format_slack_message(ALERT))
    assert slack.messages[0]["text"] == format_slack_message(ALERT)["text"]


def test_post_to_a_dead_webhook_returns_false_instead_of_raising():
    receiver = SlackReceiver()
    url = receiver.url
    receiver._httpd.server_close()  # the port is closed: connection refused
    assert post_slack_message(url, {"text": "x"}, timeout=1) is False
