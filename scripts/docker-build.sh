#!/usr/bin/env bash
# docker build with the right base: BASE_IMAGE/UV_IMAGE from the environment, else the local
# stand-ins of `make docker-base` when the registry's images are not here, else the defaults.
# EXTRA_CA=/path/ca.crt hands a proxy's CA to the build as a BuildKit secret.
# usage: scripts/docker-build.sh DOCKERFILE TAG
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKER=${DOCKER:-$( [ -x /usr/bin/docker ] && echo /usr/bin/docker || command -v docker )}
dockerfile=$1; tag=$2
"$DOCKER" info >/dev/null 2>&1 || { echo "error: no Docker engine answers; run 'make docker-engine' first" >&2; exit 1; }
have() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
args=()
if [ -n "${BASE_IMAGE:-}" ]; then args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
elif ! have python:3.11-slim && have local/python:3.11-slim; then args+=(--build-arg BASE_IMAGE=local/python:3.11-slim); fi
if [ -n "${UV_IMAGE:-}" ]; then args+=(--build-arg "UV_IMAGE=$UV_IMAGE")
elif ! have ghcr.io/astral-sh/uv:0.13.10 && have local/uv:0.13.10; then args+=(--build-arg UV_IMAGE=local/uv:0.13.10); fi
if [ -n "${EXTRA_CA:-}" ]; then args+=(--secret "id=extra_ca,src=$EXTRA_CA"); fi
echo "building $tag from $dockerfile ${args[*]:-}"
start=$(date +%s)
DOCKER_BUILDKIT=1 "$DOCKER" build -f "$dockerfile" -t "$tag" "${args[@]}" .
echo "built $tag in $(( $(date +%s) - start )) s, $("$DOCKER" image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}')"
