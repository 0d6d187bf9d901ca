"""Tunable limits of a verifier: clock-skew leeway and trust-list ages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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


def trust_list_limits(issued_at: datetime, expires_at: datetime,
                      policy: Policy) -> tuple[datetime, datetime]:
    """(stale after, old after) for a trust list, computed once per verifier: a scan then
    compares ``at`` with each (``at - issued > age`` is ``at > issued + age``)."""
    return (min(expires_at, _add(issued_at, policy.trust_list_max_age)),
            _add(issued_at, policy.trust_list_warn_age))


def _add(when: datetime, age: timedelta) -> datetime:
    try:
        return when + age
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)
