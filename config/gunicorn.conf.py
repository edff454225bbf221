"""gunicorn settings for every deployment (the Dockerfile, `make run`).

Command-line flags and GUNICORN_CMD_ARGS override these; docs/deployment.md explains each.
"""

import os

bind = [f"0.0.0.0:{os.environ.get('PORT', '5000')}"]
# One sync worker per usable core: requests are CPU-bound. On the 2-core benchmark machine
# (docs/performance.md) 2 workers served about 1.4x the requests of gunicorn's usual 2 x cores + 1
# on SQLite and on a local PostgreSQL, in well under half the memory. With a database across a
# network, where workers wait on it, raise WEB_CONCURRENCY.
usable_cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
workers = int(os.environ.get("WEB_CONCURRENCY") or usable_cores or 1)
# Load the app once in the master: a configuration error stops the server with one line,
# instead of every worker failing in turn.
preload_app = True
# The server's own limits on a request's head sit above the app's (cashman/edge.py), so that the
# app refuses an oversize URL (414) or header (431) with a problem document. What gunicorn still
# refuses itself (beyond these, or not HTTP at all) is listed in docs/reliability.md.
limit_request_line = 8190
limit_request_fields = 200
limit_request_field_size = 128 * 1024
timeout = 30
graceful_timeout = 20
keepalive = 5
# No access log: the app writes one JSON line per request (cashman/edge.py) to stderr.
accesslog = None
errorlog = "-"
# gunicorn's control socket sits at one path per user: instances on one host would fight over it.
control_socket_disable = True
