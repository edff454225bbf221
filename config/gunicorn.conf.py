"""gunicorn settings for every deployment (the Dockerfile, `make run`).

Command-line flags and GUNICORN_CMD_ARGS override these; docs/deployment.md explains each.
"""

# gevent patches the standard library first, in the master, so that the app is loaded once here
# (preload_app, below) after the patch, and every worker shares its pages. It patches all of it,
# as gunicorn's GeventWorker does in each worker anyway (patching less here, then the rest in
# the worker, left greenlets half-patched); the master's signals, worker reaping and graceful
# stop work under it (a killed worker is replaced, TERM stops all).
from gevent import monkey

monkey.patch_all()

import gc  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root, whatever the cwd
from config import load_config  # noqa: E402
from config.serving import client_timeout, stop_on_config_error  # noqa: E402

# A configuration error stops the server here, in the master, with its one line, before any
# worker starts (wsgi.py stops it the same way when the app is loaded).
stop_on_config_error(load_config)
stop_on_config_error(client_timeout)
from config.gunicorn_worker import CLIENT_TIMEOUT, DeadlineGeventWorker  # noqa: E402


def pre_request(worker, req):  # noqa: ANN001, ANN201 (a gunicorn server hook)
    """One request per connection: each is then accepted by whichever worker is free, as with
    sync workers, instead of staying with one worker for the connection's life (see below)."""
    req.must_close = True


bind = [f"0.0.0.0:{os.environ.get('PORT', '5000')}"]


def when_ready(server):  # noqa: ANN001, ANN201 (a gunicorn server hook)
    """The app is loaded, before the first fork.

    Threads it started end first: the `limits` library's in-memory storage starts a 10 ms timer
    (a greenlet, here) when it is built, and a worker forked before it ended would run a copy
    whose thread bookkeeping the fork erased. Then the app's objects are moved out of the
    collector's reach, so that no collection in a worker writes to (and so copies) the pages
    the workers share.
    """
    for thread in threading.enumerate():
        if thread is not threading.main_thread():
            thread.join(timeout=1)
    gc.freeze()


def post_fork(server, worker):  # noqa: ANN001, ANN201 (a gunicorn server hook)
    """A new worker forgets any database connection the master's app holds (it opens none: this
    keeps it so). Another app served with these settings (the benchmark's ceiling app) never
    loaded Cashman, and does not load it here."""
    if "cashman.database" in sys.modules:
        sys.modules["cashman.database"].forget_inherited_connections(server.app.wsgi())


# gevent workers: each serves many connections at once and switches whenever one waits on the
# network, so idle and slow clients wait without holding a worker, as they would hold a sync one
# (docs/deployment.md has the measurements). The app is loaded once, in the master, after the
# patch above (its locks, threads and sockets must not predate it), and shared by the workers:
# 124 MB summed PSS instead of 179 with 2 workers (docs/performance.md). No connection is opened
# before the fork (post_fork drops any pool the master holds, in each new worker).
worker_class = DeadlineGeventWorker
worker_connections = 1000
preload_app = True
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
