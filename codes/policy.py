"""Tunable limits of a verifier: clock-skew leeway and trust-list ages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

#: Clock skew tolerated between issuer and checkpoint, both for ``iat`` and ``exp``.
CLOCK_SKEW_LEEWAY = timedelta(seconds=60)
TRUST_LIST_WARN_AGE = timedelta(hours=24)
TRUST_LIST_MAX_AGE = timedelta(hours=72)


@dataclass(frozen=True)
class Policy:
    """Tunable limits of a verifier."""

    leeway: timedelta = CLOCK_SKEW_LEEWAY
    trust_list_warn_age: timedelta = TRUST_LIST_WARN_AGE  #: older → warning
    trust_list_max_age: timedelta = TRUST_LIST_MAX_AGE  #: older (or past expiry) → refused
