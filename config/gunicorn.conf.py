"""gunicorn settings for every deployment (the Dockerfile, `make run`).

Command-line flags and GUNICORN_CMD_ARGS override these; docs/deployment.md explains each.
"""

import os
import sys
from pathlib import Path

from gunicorn.workers.base_async import AsyncWorker  # noqa: E402
from gunicorn.workers.ggevent import GeventWorker  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root, whatever the cwd
from config import load_config  # noqa: E402
from config.serving import client_timeout, stop_on_config_error  # noqa: E402

# A configuration error stops the server here, in the master, with its one line, before any
# worker starts (each worker loads the app itself: see below; wsgi.py stops it the same way).
# Nothing of the app is imported here: psycopg, for one, picks a blocking way to wait if it is
# imported before gevent has patched the standard library.
stop_on_config_error(load_config)
CLIENT_TIMEOUT = client_timeout()


class DeadlineGeventWorker(GeventWorker):
    """gunicorn's gevent worker, with a deadline on every wait for a client.

    gunicorn's worker leaves a client's socket without a timeout: an idle client, or one that
    stops sending its body or reading the answer, would hold its connection (one of
    `worker_connections`) for ever. Here each read and write gives up after CLIENT_TIMEOUT
    seconds, and the head of the request must arrive within that time (`keepalive`, below).
    """

    def handle(self, listener, client, addr):  # noqa: ANN001, ANN201 (gunicorn's signature)
        client.settimeout(CLIENT_TIMEOUT)  # where GeventWorker.handle would make it blocking
        AsyncWorker.handle(self, listener, client, addr)


def pre_request(worker, req):  # noqa: ANN001, ANN201 (a gunicorn server hook)
    """One request per connection: each is then accepted by whichever worker is free, as with
    sync workers, instead of staying with one worker for the connection's life (see below)."""
    req.must_close = True


bind = [f"0.0.0.0:{os.environ.get('PORT', '5000')}"]
# gevent workers: each serves many connections at once and switches whenever one waits on the
# network, so idle and slow clients wait without holding a worker, as they would hold a sync one
# (docs/deployment.md has the measurements). The app is not preloaded: each worker loads it after
# gevent has patched the standard library there, or its locks, threads and sockets would predate
# the patch and block.
worker_class = DeadlineGeventWorker
worker_connections = 1000
preload_app = False
# gunicorn's async workers read every request head under this deadline (it is named for
# keep-alive, which pre_request turns off: it bounds only the wait for the head).
keepalive = CLIENT_TIMEOUT
# One worker per usable core: requests are CPU-bound. On the 2-core benchmark machine
# (docs/performance.md) 2 workers served about 1.4x the requests of gunicorn's usual 2 x cores + 1
# on SQLite and on a local PostgreSQL, in well under half the memory (sync workers, then). A gevent
# worker goes on serving while a request waits on a distant database: that needs no more workers.
usable_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
workers = int(os.environ.get("WEB_CONCURRENCY") or usable_cores or 1)
# The server's own limits on a request's head sit above the app's (cashman/edge.py), so that the
# app refuses an oversize URL (414) or header (431) with a problem document. What gunicorn still
# refuses itself (beyond these, or not HTTP at all) is listed in docs/reliability.md.
limit_request_line = 8190
limit_request_fields = 200
limit_request_field_size = 128 * 1024
timeout = 30
graceful_timeout = 20
# No access log: the app writes one JSON line per request (cashman/edge.py) to stderr.
accesslog = None
errorlog = "-"
# gunicorn's control socket sits at one path per user: instances on one host would fight over it.
control_socket_disable = True
