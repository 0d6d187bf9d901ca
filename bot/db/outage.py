"""Telling "the database cannot be reached now" apart from other errors.

PostgreSQL restarting, failing over or refusing connections shows up as many different
exceptions, from the socket (refused, reset), from asyncpg (the connection closed mid-
statement, "the database system is shutting down / starting up", a pooled connection
taken back after it was lost) and wrapped by SQLAlchemy. The web layer answers all of
them 503 with ``Retry-After`` (a client should try again shortly, a balancer should
stop sending traffic: ``/readyz`` is 503 too), never 500: nothing is wrong with the
request, and nothing was half-written (a transaction cut off is rolled back).
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

#: SQLSTATEs of a server that is away or refuses connections: connection exceptions
#: (class 08), shutting down / crashed / starting up (57P01-57P03), too many connections
UNAVAILABLE_SQLSTATES = frozenset({"08000", "08001", "08003", "08004", "08006", "08007",
                                   "57P01", "57P02", "57P03", "53300"})
#: what asyncpg says when a connection it handed out was lost under the caller; the
#: last: an idle pooled connection the server ended while shutting down (its closing
#: error arrived, the socket not yet closed) handed out and used
LOST_CONNECTION = ("connection is closed", "released back to the pool",
                   "connection was closed", "another operation")


def unavailable(err: BaseException) -> bool:
    """Whether ``err`` (or an exception it was raised from or while handling) says the
    database could not be reached, rather than that a statement or the code is wrong."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [err]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if _is_outage(e):
            return True
        stack += [e.__cause__, e.__context__, getattr(e, "orig", None)]
    return False


def _is_outage(e: BaseException) -> bool:
    if isinstance(e, ConnectionError):  # refused, reset, aborted, broken pipe
        return True
    if isinstance(e, sa_exc.DBAPIError) and e.connection_invalidated:
        return True
    if getattr(e, "sqlstate", None) in UNAVAILABLE_SQLSTATES:
        return True
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - installed with the package
        return False
    if isinstance(e, asyncpg.PostgresConnectionError):
        return True
    return isinstance(e, asyncpg.InterfaceError | asyncpg.InternalClientError) and any(
        words in str(e) for words in LOST_CONNECTION)
