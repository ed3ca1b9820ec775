# replybot: slim, non-root, database on a volume, configuration from env and a mounted config.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    REPLYBOT_CONFIG=/app/config/replybot.toml
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin replybot \
    && mkdir -p /data /app \
    && chown replybot /data
COPY --from=build /install /usr/local
WORKDIR /app
COPY config ./config
COPY templates ./templates
USER replybot
VOLUME ["/data"]
ENTRYPOINT ["replybot"]
CMD ["run", "--db", "/data/replybot.db"]
