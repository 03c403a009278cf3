"""The coach's own figures as Prometheus metrics (``prometheus-client``), so an operator can watch
each Rasa server beside the gateways: messages by channel and outcome, the time each took, those
in progress, requests refused before the coach saw them, and failed actions the fault policy
covered. Counts and times only: no sender id, no words, nothing said about anyone's pain.
Served by the REST channel at ``/webhooks/rest/metrics`` (components/channels.py), per process."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

MESSAGES = Counter("stretch_coach_messages", "Messages the coach handled, by channel and outcome "
                   "(answered; trouble: a store was down; failed: an error)", ["channel", "outcome"])
MESSAGE_SECONDS = Histogram(
    "stretch_coach_message_seconds", "A message's arrival to the coach's answer", ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
IN_PROGRESS = Gauge("stretch_coach_messages_in_progress", "Messages being handled now")
REFUSED = Counter("stretch_coach_refused_requests", "REST requests answered 4xx before the coach "
                  "saw them (malformed, too large)", ["status"])
ACTION_FAILURES = Counter("stretch_coach_action_failures", "Actions that failed (the action "
                          "server down, hung or crashed) and got the fault policy's safe line")


def record(channel: str, outcome: str, seconds: float) -> None:
    """One message handled: its outcome and how long it took."""
    MESSAGES.labels(channel, outcome).inc()
    MESSAGE_SECONDS.labels(channel).observe(seconds)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus's text format, and its content type."""
    return generate_latest(), CONTENT_TYPE_LATEST
