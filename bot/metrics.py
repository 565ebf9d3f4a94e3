"""bot/'s Prometheus metrics, for a force's operations team (served by ``bot.metrics_server``).

Operational figures only. Labels come from closed sets: a door (``telegram``, ``widget``), a
force id from data/knowledge.yml or ``national``, an error kind, a component. No label ever holds
a pseudonym, a chat or session id, or anything a person wrote (tests/privacy/ checks the
exposition for them).

The metrics live in prometheus-client's default registry, with its process and Python
collectors beside them; each replica serves its own, and Prometheus adds them up.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, disable_created_metrics

# No "_created" series beside each counter and histogram: Prometheus does not need them, and in
# the classic text format each is one more series per label set to store.
disable_created_metrics()

# Doors and the components whose availability is reported.
DOORS = ("telegram", "widget")
COMPONENTS = ("rasa", "action_server", "store", "case_store", "statistics_store")
# Why a reply was the safety fallback (the essentials and 999) instead of Rasa's answer.
# bot_error: bot/ itself failed on a turn (the door still sends the essentials).
FALLBACK_REASONS = ("rasa_unavailable", "no_reply", "store_unavailable", "bot_error")
# Why a hand-off became a reference to quote on 101 instead of a wait for a handler.
REFERRAL_REASONS = ("out_of_hours", "queue_full", "not_picked_up")
# Kinds of error counted in ERRORS.
ERROR_KINDS = (
    "rasa_unavailable",
    "rasa_timeout",
    "store_unavailable",
    "case_store_unavailable",
    "statistics_store_unavailable",
    "telegram_send_failed",
    "unhandled",
)

TURNS = Counter("aic_turns", "Turns people took (messages, presses, commands), by door.", ["door"])
SAFETY_FALLBACKS = Counter(
    "aic_safety_fallbacks",
    "Replies that were bot/'s safety fallback instead of Rasa's answer, by door and reason.",
    ["door", "reason"],
)
RASA_SECONDS = Histogram(
    "aic_rasa_request_seconds",
    "Time from sending a call to Rasa to having its answer (failures included), by call.",
    ["call"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0),
)
ERRORS = Counter("aic_errors", "Errors bot/ handled, by kind.", ["kind"])
HANDOFFS_QUEUED = Counter(
    "aic_handoffs_queued", "Hand-off cases that joined a force's queue.", ["force"]
)
HANDOFFS_CLAIMED = Counter("aic_handoffs_claimed", "Hand-off cases a handler claimed.", ["force"])
HANDOFFS_REFERRED = Counter(
    "aic_handoffs_referred",
    "Hand-off cases that became a reference to quote on 101, by force and reason.",
    ["force", "reason"],
)
HANDOFF_WAIT_SECONDS = Histogram(
    "aic_handoff_wait_seconds",
    "How long a case waited in the queue before a handler claimed it.",
    ["force"],
    buckets=(30, 60, 120, 300, 600, 900, 1800, 3600),
)
HANDOFF_QUEUE_LENGTH = Gauge(
    "aic_handoff_queue_length", "Cases waiting in each force's queue now.", ["force"]
)
UP = Gauge(
    "aic_up", "Whether a component answered bot/'s last check (1) or not (0).", ["component"]
)

__all__ = [
    "COMPONENTS",
    "DOORS",
    "ERRORS",
    "ERROR_KINDS",
    "FALLBACK_REASONS",
    "HANDOFFS_CLAIMED",
    "HANDOFFS_QUEUED",
    "HANDOFFS_REFERRED",
    "HANDOFF_QUEUE_LENGTH",
    "HANDOFF_WAIT_SECONDS",
    "RASA_SECONDS",
    "REFERRAL_REASONS",
    "REGISTRY",
    "SAFETY_FALLBACKS",
    "TURNS",
    "UP",
]
