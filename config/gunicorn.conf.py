"""gunicorn settings for every deployment (the Dockerfile, `make run`).

Command-line flags and GUNICORN_CMD_ARGS override these; docs/deployment.md explains each.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root, whatever the cwd
from config import load_config  # noqa: E402

# A configuration error stops the server here, in the master, with its one line, before any
# worker starts (each worker loads the app itself: see below).
load_config()

bind = [f"0.0.0.0:{os.environ.get('PORT', '5000')}"]
# gevent workers: each serves many connections at once and switches whenever one waits on the
# network, so idle and slow clients wait without holding a worker, as they would hold a sync one
# (docs/deployment.md has the measurements). The app is not preloaded: each worker loads it after
# gevent has patched the standard library there, or its locks, threads and sockets would predate
# the patch and block.
worker_class = "gevent"
worker_connections = 1000
preload_app = False
# One worker per usable core: requests are CPU-bound. On the 2-core benchmark machine
# (docs/performance.md) 2 workers served about 1.4x the requests of gunicorn's usual 2 x cores + 1
# on SQLite and on a local PostgreSQL, in well under half the memory. With a database across a
# network, where workers wait on it, raise WEB_CONCURRENCY.
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
keepalive = 0
# No access log: the app writes one JSON line per request (cashman/edge.py) to stderr.
accesslog = None
errorlog = "-"
# gunicorn's control socket sits at one path per user: instances on one host would fight over it.
control_socket_disable = True
