FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CASHMAN_ENV=production \
    PORT=5000

RUN useradd --create-home --uid 10001 cashman
WORKDIR /app

# Dependencies first: this layer is rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

# The code stays owned by root: the service can write only its instance/ folder.
COPY . .
RUN pybabel compile -d cashman/translations \
    && mkdir -p instance && chown cashman:cashman instance
USER 10001

EXPOSE 5000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:5000' + os.environ.get('URL_PREFIX', '') + '/health', timeout=2)"]
CMD ["./boot.sh"]
