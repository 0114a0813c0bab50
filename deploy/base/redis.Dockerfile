# Redis from Debian's packages on the local base, for machines that cannot pull redis:alpine.
ARG BASE_IMAGE=local/python:3.11-slim
FROM ${BASE_IMAGE}
# Stand-ins track Debian stable's security updates, so versions are not pinned.
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/*
EXPOSE 6379
# hadolint ignore=DL3066
USER redis
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]
