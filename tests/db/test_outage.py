"""Which errors mean "the database is away" (answered 503, tests/web/
test_faults_postgres_restart.py restarts a real PostgreSQL) and which do not (500)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import exc as sa_exc

from bot.db.outage import unavailable


def _raised_from(cause: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except BaseException as err:
            raise RuntimeError("while saving") from err
    except RuntimeError as outer:
        return outer


@pytest.mark.parametrize("err", [
    ConnectionRefusedError(111, "Connection refused"),
    ConnectionResetError(104, "Connection reset by peer"),
    asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    asyncpg.CannotConnectNowError("the database system is starting up"),
    asyncpg.AdminShutdownError("terminating connection due to administrator command"),
    asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    asyncpg.InterfaceError("cannot call Connection.fetchval(): connection has been "
                           "released back to the pool"),
    sa_exc.DBAPIError("SELECT 1", {}, Exception("closed"), connection_invalidated=True),
    _raised_from(asyncpg.AdminShutdownError("terminating connection")),
])
def test_the_database_away(err: BaseException) -> None:
    assert unavailable(err)


@pytest.mark.parametrize("err", [
    ValueError("bad input"),
    FileNotFoundError("no such file"),
    asyncpg.UniqueViolationError("duplicate key value"),
    asyncpg.InterfaceError("the server expects 2 arguments, 1 was passed"),
    sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key")),
    _raised_from(KeyError("x")),
])
def test_other_errors(err: BaseException) -> None:
    assert not unavailable(err)
