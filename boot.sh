#!/bin/sh
# Container start: apply migrations, then hand the process over to gunicorn.
set -e
flask --app wsgi db upgrade
exec gunicorn --config config/gunicorn.conf.py wsgi:app
