# Our runtime: Python 3.11, the exact versions of requirements/app.lock and the project (the
# `qp` tool, the action server, the web server, the Telegram bridge, the catalogue files).
# compose.yaml runs it as the action server, the web server and the one-shot `init`.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 SQLALCHEMY_SILENCE_UBER_WARNING=1
WORKDIR /app
COPY requirements/app.lock requirements/app.lock
RUN pip install --no-cache-dir -r requirements/app.lock \
    && useradd --create-home --uid 10001 qp \
    && mkdir -p /run/qp && chown qp /run/qp
COPY pyproject.toml README.md ./
COPY actions/ actions/
COPY adapters/ adapters/
COPY bot/ bot/
COPY catalog/ catalog/
COPY settings/ settings/
RUN pip install --no-cache-dir --no-deps -e . && mkdir -p var && chown qp var
USER qp
EXPOSE 5055 8080
CMD ["python", "-m", "bot.action_server", "--host", "0.0.0.0", "--port", "5055"]
