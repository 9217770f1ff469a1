# seatbot: build the wheel in one stage, run it as a non-root user in a slim one.
#   docker build -t seatbot .
#   docker run --env-file .env -p 3000:3000 seatbot
# See docs/deploy.md.

FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir build==1.2.2
COPY pyproject.toml README.md manifest.yml ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY templates ./templates
COPY standin ./standin
COPY examples ./examples
RUN python -m build --wheel --outdir /dist

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    SEATBOT_LOG_LEVEL=INFO
COPY --from=build /dist/*.whl /tmp/
RUN pip install --no-cache-dir /tmp/*.whl \
    && rm /tmp/*.whl \
    && groupadd --system --gid 10001 seatbot \
    && useradd --system --create-home --uid 10001 --gid seatbot seatbot
USER 10001:10001
WORKDIR /home/seatbot
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=2)"]
CMD ["seatbot", "serve", "--host", "0.0.0.0", "--port", "3000"]
