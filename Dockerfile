# replybot: slim, non-root, database on a volume, configuration from env and a mounted config.
# The base image is pinned by digest: a rebuild gets the same bytes, not whatever the tag points at that day.
# To move to a newer patch release: `docker buildx imagetools inspect python:3.11-slim`, take the index digest,
# replace it in ARG PYTHON_IMAGE below (both stages use it), build, check `replybot demo` runs, commit that alone.
ARG PYTHON_IMAGE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7
FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
# the web extra: the console (`replybot web`) runs from the same image, beside `replybot run`
RUN pip install --no-cache-dir --prefix=/install ".[web]"

FROM ${PYTHON_IMAGE}
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    REPLYBOT_CONFIG=/app/config/replybot.toml \
    REPLYBOT_DATABASE=/data/replybot.db \
    REPLYBOT_METRICS_HOST=0.0.0.0 \
    REPLYBOT_WEB_HOST=0.0.0.0
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
# 9108: /metrics and /healthz of `replybot run`; 8108: the console, `replybot web`, in a second container
# from this image on the same /data volume (publish it on the host's loopback only: -p 127.0.0.1:8108:8108).
# Inside the container both listen on every interface: that is what a published port reaches.
EXPOSE 9108 8108
# /healthz is 200 only while every enabled account has polled successfully within 3 poll intervals.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["replybot", "health"]
ENTRYPOINT ["replybot"]
CMD ["run"]
