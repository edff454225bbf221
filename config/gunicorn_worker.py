"""The gunicorn worker every deployment runs (config/gunicorn.conf.py): every reliance on
gunicorn's own code is here, and docs/architecture.md names each with the test that fails first.

- `handle` calls `AsyncWorker.handle`, GeventWorker's parent, skipping GeventWorker's own, which
  only makes the client's socket blocking (gunicorn 27.0.1, pinned):
  tests/test_faults.py::test_idle_and_stalled_clients_are_cut_at_the_client_timeout.
- `handle_error` is the worker's documented hook for a request gunicorn could not parse; the
  statuses follow its exception classes (`gunicorn.http.errors`), as its own `handle_error` does:
  tests/test_live_server.py::test_malformed_framing_is_a_problem_from_the_worker.
"""

import ssl
import uuid
from http import HTTPStatus

from gunicorn.http import errors
from gunicorn.workers.base_async import AsyncWorker
from gunicorn.workers.ggevent import GeventWorker

from config.serving import client_timeout

# gunicorn's statuses for what it refuses, beside its 400 for every other malformed request.
STATUSES = [
    (errors.LimitRequestLine, 414),
    (errors.LimitRequestHeaders, 431),
    (errors.UnsupportedTransferCoding, 501),
    (errors.ExpectationFailed, 417),
    (errors.ForbiddenProxyRequest, 403),
    (ssl.SSLError, 403),
]
# The server's fault, not the client's: an invalid header the app tried to send, a setting.
SERVER_FAULTS = (errors.InvalidResponseHeader, errors.InvalidResponseHeaderName)
SERVER_FAULTS += (errors.ConfigurationProblem,)
CLIENT_TIMEOUT = client_timeout()


class DeadlineGeventWorker(GeventWorker):
    """gunicorn's gevent worker, with a deadline on every wait for a client, and the app's
    problem document (cashman.errors) for a request gunicorn refuses before the app sees it.

    gunicorn's worker leaves a client's socket without a timeout: an idle client, or one that
    stops sending its body or reading the answer, would hold its connection (one of
    `worker_connections`) for ever. Here each read and write gives up after CLIENT_TIMEOUT
    seconds, and the head of the request must arrive within that time (`keepalive`, in
    config/gunicorn.conf.py).
    """

    def handle(self, listener, client, addr):  # noqa: ANN001, ANN201 (gunicorn's signature)
        client.settimeout(CLIENT_TIMEOUT)  # where GeventWorker.handle would make it blocking
        AsyncWorker.handle(self, listener, client, addr)

    def handle_error(self, req, client, addr, exc):  # noqa: ANN001, ANN201 (gunicorn's signature)
        """Answer what gunicorn refused (a bare CR or LF, a NUL, a bad or doubled
        Content-Length, a request line that is not HTTP, a head over its limits) with a
        problem document instead of gunicorn's HTML page; log it as gunicorn would."""
        status = status_of(exc)
        if status == 500:
            self.log.exception("Error handling request")
        else:
            self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            client.sendall(problem_answer(status))
        except OSError:
            self.log.debug("Failed to send error message.")


def status_of(error: BaseException) -> int:
    """The status gunicorn gives a request it could not handle."""
    refused = isinstance(error, (errors.ParseException, ssl.SSLError))
    if not refused or isinstance(error, SERVER_FAULTS):
        return 500
    return next((status for kind, status in STATUSES if isinstance(error, kind)), 400)


def problem_answer(status: int) -> bytes:
    """The whole HTTP answer: the app's problem shape, title and detail, with a request ID as
    every answer of the app has, and the connection closed."""
    from cashman.errors import DETAILS, PROBLEM_MIMETYPE, TITLES  # noqa: PLC0415 (when needed)
    from cashman.json_provider import encode  # noqa: PLC0415

    request_id = uuid.uuid4().hex
    body = encode(
        {
            "type": "about:blank",
            "title": str(TITLES.get(status) or HTTPStatus(status).phrase),
            "status": status,
            "detail": str(DETAILS.get(status) or HTTPStatus(status).description),
            "request_id": request_id,
        },
    )
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "Connection: close\r\n"
        f"Content-Type: {PROBLEM_MIMETYPE}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\n"
        f"X-Request-ID: {request_id}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Referrer-Policy: no-referrer\r\n\r\n"
    )
    return head.encode("latin-1") + body
