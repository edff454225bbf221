"""What only PostgreSQL needs: connections whose every wait for an answer is bounded, and
pooled connections pinged after sitting idle. Imported by cashman.database when the database is
PostgreSQL, so that a server on SQLite never loads psycopg.
"""

import time
from typing import Any

import psycopg
from psycopg.errors import _WaitTimeout
from sqlalchemy import Engine, event
from sqlalchemy.exc import DisconnectionError

# A pooled connection unused for this long is pinged before a request gets it.
IDLE_PING_SECONDS = 1.0


def bound_and_pinged(engine: Engine, answer_timeout: float) -> None:
    """Open the engine's connections as AnswerBoundConnection and ping idle ones at checkout."""
    event.listen(
        engine,
        "do_connect",
        lambda _dialect, _record, cargs, cparams: AnswerBoundConnection.open(
            answer_timeout, *cargs, **cparams
        ),
    )
    _ping_when_idle(engine)


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before a request gets it, if it sat unused for
    IDLE_PING_SECONDS: one that died meanwhile (a database restart, a proxy's idle timeout) is
    then replaced, unseen by the request.

    The pool's own `pool_pre_ping` pings at every checkout: a round trip added to every
    request. A connection busy within the last second was alive then; if the server
    dies while it is in use, the request answers 503 and SQLAlchemy renews the whole pool.
    """

    @event.listens_for(engine, "checkin")
    def _note_the_time(dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checked_in = record.info.get("checked_in")
        if checked_in is None or time.monotonic() - checked_in < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except psycopg.Error as error:
            raise DisconnectionError() from error  # the pool opens another one in its place


class AnswerBoundConnection(psycopg.Connection):
    """A psycopg connection that waits at most `answer_timeout` seconds for any answer.

    PostgreSQL's statement_timeout ends a slow statement, and TCP keepalives and tcp_user_timeout
    end a connection whose packets go unacknowledged. Neither ends a wait on a path that still
    acknowledges packets but brings no answer back (a hung proxy or pooler, a stopped server):
    this does, for statements, commits and the pool's pings alike. The connection is then
    closed, since it stopped halfway through a conversation, and the pool replaces it.
    It overrides psycopg's `Connection.wait` and catches its `_WaitTimeout` (psycopg 3.3.9,
    pinned); a wait given its own timeout (psycopg's `notifies`) keeps psycopg's behaviour.
    """

    answer_timeout: float = 5.0

    @classmethod
    def open(cls, answer_timeout: float, *args: Any, **kwargs: Any) -> "AnswerBoundConnection":
        connection = cls.connect(*args, **kwargs)
        connection.answer_timeout = answer_timeout
        return connection

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if timeout is not None:
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, self.answer_timeout)
        except _WaitTimeout:
            self.close()
            raise psycopg.OperationalError(
                f"PostgreSQL did not answer within {self.answer_timeout:g} s; connection closed"
            ) from None
