# Costbook image: the web server (gunicorn), the RQ workers and the one-off migrate job all run it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# The runtime lock alone (no test or dev tools: no browser driver, no linters in production),
# every package checked against its hash. It is copied before the code so that this layer is
# rebuilt only when the lock changes.
COPY requirements/runtime.txt requirements/runtime.txt
RUN pip install --require-hashes -r requirements/runtime.txt
# The code runs from /app (gunicorn, manage.py and the workers import it from the working
# directory), so the project itself is not pip-installed: nothing is fetched besides the lock.
COPY . .

# Static files are collected into the image with production storage (hashed, compressed names).
# Settings refuse to load with DEBUG off and no SECRET_KEY; this one exists only for this step.
RUN SECRET_KEY=collectstatic-at-build-time-only DEBUG=0 python manage.py collectstatic --noinput

RUN useradd --system --no-create-home costbook && mkdir -p /data/files && chown costbook /data/files
USER costbook

EXPOSE 8000
# Workers (WEB_CONCURRENCY, default 3) and the request timeout (GUNICORN_TIMEOUT, default 60 s):
# config/gunicorn_conf.py says why.
CMD ["gunicorn", "--config", "config/gunicorn_conf.py", "config.wsgi"]
