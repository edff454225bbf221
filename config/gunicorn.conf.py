"""gunicorn settings for every deployment (the Dockerfile, `make run`).

Command-line flags and GUNICORN_CMD_ARGS override these; docs/deployment.md explains each.
"""

import multiprocessing
import os

bind = [f"0.0.0.0:{os.environ.get('PORT', '5000')}"]
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
# Load the app once in the master: a configuration error stops the server with one line,
# instead of every worker failing in turn.
preload_app = True
timeout = 30
graceful_timeout = 20
keepalive = 5
# No access log: the app writes one JSON line per request (cashman/edge.py) to stderr.
accesslog = None
errorlog = "-"
# gunicorn's control socket sits at one path per user: instances on one host would fight over it.
control_socket_disable = True
