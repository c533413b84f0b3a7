# Costbook image: the web server (gunicorn), the RQ workers and the one-off migrate job all run it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY . .
RUN pip install .

# Static files are collected into the image with production storage (hashed, compressed names).
# Settings refuse to load with DEBUG off and no SECRET_KEY; this one exists only for this step.
RUN SECRET_KEY=collectstatic-at-build-time-only DEBUG=0 python manage.py collectstatic --noinput

RUN useradd --system --no-create-home costbook
USER costbook

EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "-b", "0.0.0.0:8000", "--access-logfile", "-"]
