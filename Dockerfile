# replybot: slim, non-root, database on a volume, configuration from env and a mounted config.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    REPLYBOT_CONFIG=/app/config/replybot.toml \
    REPLYBOT_DATABASE=/data/replybot.db \
    REPLYBOT_METRICS_HOST=0.0.0.0
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin replybot \
    && mkdir -p /data /app \
    && chown replybot /data
COPY --from=build /install /usr/local
WORKDIR /app
COPY config ./config
COPY templates ./templates
COPY models ./models
USER replybot
VOLUME ["/data"]
EXPOSE 9108
# /healthz is 200 only while every enabled account has polled successfully within 3 poll intervals.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["replybot", "health"]
ENTRYPOINT ["replybot"]
CMD ["run"]
