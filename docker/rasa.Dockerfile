# The Rasa runtime: Python 3.10, the exact versions of requirements/rasa.lock, our Rasa-side
# extensions (rasa_extensions/: channels, tracker store) and the model trained by `make train`.
# Rasa reads its secrets and addresses from /run/qp/rasa.env, written at start by compose.yaml's
# `init` service with our own image (`qp run --print-env`): one place derives them (bot/keys.py).
FROM python:3.10-slim-bookworm

ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 RASA_TELEMETRY_ENABLED=false \
    TF_CPP_MIN_LOG_LEVEL=3 SQLALCHEMY_SILENCE_UBER_WARNING=1 PYTHONPATH=/app
WORKDIR /app
COPY requirements/rasa.lock requirements/rasa.lock
RUN pip install --no-cache-dir -r requirements/rasa.lock \
    && useradd --create-home --uid 10001 rasa \
    && mkdir -p /run/qp && chown rasa /run/qp
COPY rasa_extensions/ rasa_extensions/
COPY endpoints.yml credentials.yml ./
COPY models/assistant.tar.gz models/assistant.tar.gz
USER rasa
EXPOSE 5005
# Healthy once the REST channel answers (the model takes about a minute to load).
HEALTHCHECK --interval=10s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5005/webhooks/rest/', timeout=4)"]
CMD ["sh", "-c", ". /run/qp/rasa.env && exec rasa run --model models/assistant.tar.gz --port 5005 --interface 0.0.0.0 --endpoints endpoints.yml --credentials credentials.yml --enable-api --jwt-secret \"$QP_RASA_API_KEY\""]
