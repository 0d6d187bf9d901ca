"""What the service counts for Prometheus (``GET /metrics``, docs/deployment.md).

The metric objects live on prometheus-client's default registry, the one place the
library looks for them in every process (an exception to "no module-level state": a
counter is append-only and per process by nature). With ``tongguan serve --workers N``
the library's multiprocess mode is on (``PROMETHEUS_MULTIPROC_DIR``): each worker writes
its values to a file there and ``/metrics`` in any worker adds them up. Every layer may
import this module; it imports nothing of Tongguan's. Labels never carry identity data,
only names from small fixed sets (channels, flow ids, reasons, error codes).
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Gauge, Histogram

CHAT_TURNS = Counter("tongguan_chat_turns_total",
                     "Messages handled by the dialogue engine, by channel and the flow the "
                     "turn ended in (none: no flow).", ["channel", "flow"])
TURN_SECONDS = Histogram("tongguan_turn_seconds",
                         "Time the dialogue engine took for one message (lock, load, "
                         "handle, save), by channel.", ["channel"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
WECHAT_REPLIES = Counter("tongguan_wechat_replies_total",
                         "WeChat answers: passive (in the callback's response), pushed "
                         "(queued for the customer-service API), late (turns that missed the "
                         "reply budget, answered `success` and pushed).", ["kind"])
DELIVERY_FAILURES = Counter("tongguan_outbox_delivery_failures_total",
                            "Failed outbox deliveries by channel and error code (WeChat's "
                            "errcode; `unfollowed`; `crash` for a deliverer bug).",
                            ["channel", "code"])
CODES = Counter("tongguan_codes_total",
                "Health codes issued (result: the colour) and verified by POST "
                "/api/v1/verify (result: `valid` or the verifier's reason).",
                ["action", "result"])
RESERVATIONS = Counter("tongguan_reservations_total",
                       "Reservation outcomes: held, picked_up, expired, or the refusal's "
                       "code (sold_out, limit_reached, household_limit, not_bound…).",
                       ["outcome"])
RATE_LIMITED = Counter("tongguan_rate_limited_total",
                       "Requests refused with 429 by an abuse limit, by limit name.",
                       ["limit"])
DB_POOL = Gauge("tongguan_db_pool_connections",
                "Database connections of each process by pool and state (in_use, idle); "
                "summed over the live processes.", ["pool", "state"],
                multiprocess_mode="livesum")


#: the labelled children of the per-turn metrics: ``labels()`` takes a lock and builds
#: its key on every call, a few microseconds twice a chat turn; the children it returns
#: are the same objects for the process's life, so each is looked up once
_TURN_CHILDREN: dict[tuple[str, ...], Any] = {}


def turn_saved(channel: str, flow: str | None) -> None:
    """Count one saved chat turn (``flow``: the flow it ended in, None for none)."""
    counter = _TURN_CHILDREN.get((channel, flow or "none"))
    if counter is None:
        counter = _TURN_CHILDREN[(channel, flow or "none")] = CHAT_TURNS.labels(
            channel, flow or "none")
    counter.inc()


def turn_seconds(channel: str, seconds: float) -> None:
    """Observe how long the engine took for one message (saved or not)."""
    histogram = _TURN_CHILDREN.get((channel,))
    if histogram is None:
        histogram = _TURN_CHILDREN[(channel,)] = TURN_SECONDS.labels(channel)
    histogram.observe(seconds)


def wechat_answered(*, passive: bool, pushed: int, late: bool) -> None:
    """Count one WeChat turn's answer."""
    if passive:
        WECHAT_REPLIES.labels("passive").inc()
    if pushed:
        WECHAT_REPLIES.labels("pushed").inc(pushed)
    if late:
        WECHAT_REPLIES.labels("late").inc()
