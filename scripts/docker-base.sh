#!/usr/bin/env bash
# Offline base images: `make docker-base`. When the registry answers, nothing is built (the
# Dockerfiles' defaults, python:3.11-slim and ghcr.io/astral-sh/uv, are pulled as usual). When it
# does not, this builds local stand-ins from Debian's packages (the machine reaches those):
#   local/python:3.11-slim  debootstrap'd bookworm + Debian's python3.11 and pip, `python` on PATH
#   local/uv:<version>      the uv binary from its PyPI wheel, at /uv and /uvx like the official image
#   local/nginx, local/redis  for the compose stack
# The host's extra CA certificates (/usr/local/share/ca-certificates) are trusted in the local
# base, because a machine without registry access usually reaches PyPI through a proxy with its own CA.
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKER=${DOCKER:-$( [ -x /usr/bin/docker ] && echo /usr/bin/docker || command -v docker )}
UV_VERSION=${UV_VERSION:-0.13.10}
WORK=${DOCKER_BASE_WORK:-/tmp/roadmap-docker-base}
FORCE=${FORCE:-0}

have() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
say() { echo "docker-base: $*"; }

"$DOCKER" info >/dev/null 2>&1 || { echo "error: no Docker engine answers; run 'make docker-engine' first" >&2; exit 1; }

if [ "$FORCE" != 1 ] && timeout 20 "$DOCKER" pull -q python:3.11-slim >/dev/null 2>&1; then
  say "the registry answers: python:3.11-slim pulled; no local base needed (FORCE=1 builds one anyway)"
  exit 0
fi
say "no registry: building local stand-ins from Debian's packages"

if [ "$FORCE" = 1 ] || ! have local/python:3.11-slim; then
  command -v debootstrap >/dev/null || { say "installing debootstrap"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  root="$WORK/rootfs"
  rm -rf "$root"; mkdir -p "$root"
  say "debootstrap bookworm (minbase + python3.11) into $root (about a minute)"
  debootstrap --variant=minbase --include=python3.11,ca-certificates \
    bookworm "$root" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 20 "$WORK/debootstrap.log" >&2; exit 1; }
  ln -sf python3.11 "$root/usr/bin/python"
  ln -sf python3.11 "$root/usr/bin/python3"
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    chroot "$root" update-ca-certificates >/dev/null 2>&1 || true
    say "trusted the host's extra CAs: $(ls /usr/local/share/ca-certificates/*.crt | xargs -n1 basename | tr '\n' ' ')"
  fi
  chroot "$root" apt-get clean >/dev/null 2>&1 || true
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin
  tar -C "$root" -c . | "$DOCKER" import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
    -c 'CMD ["python3"]' - local/python:3.11-slim >/dev/null
  rm -rf "$root"
  say "built local/python:3.11-slim ($("$DOCKER" image inspect -f '{{.Size}}' local/python:3.11-slim | awk '{printf "%.0f MB", $1/1e6}'))"
fi

# pip and venv like python:3.11-slim has them (learners' Dockerfiles `pip install -r
# requirements.txt`, `python -m venv`): Debian's python3.11-venv, pip from its PyPI wheel, no
# EXTERNALLY-MANAGED marker, the system CA bundle for pip, and
# /usr/local/lib/python3.11/site-packages on sys.path (where `pip install --prefix` + COPY puts it).
if ! "$DOCKER" run --rm local/python:3.11-slim python -c "import pip, ensurepip" >/dev/null 2>&1; then
  dir="$WORK/pip"; rm -rf "$dir"; mkdir -p "$dir"
  python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$dir" pip
  cat >"$dir/Dockerfile" <<'DOCKERFILE'
FROM local/python:3.11-slim
COPY pip-*.whl /tmp/
RUN apt-get update && apt-get install -y --no-install-recommends python3.11-venv \
    && rm -rf /var/lib/apt/lists/* \
    && whl=$(ls /tmp/pip-*.whl) \
    && python3.11 "$whl/pip" install --no-index --break-system-packages --no-cache-dir "$whl" \
    && rm -f /tmp/pip-*.whl /usr/lib/python3.11/EXTERNALLY-MANAGED \
    && mkdir -p /usr/local/lib/python3.11/site-packages \
    && echo /usr/local/lib/python3.11/site-packages >/usr/lib/python3/dist-packages/local-site-packages.pth \
    && printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >/etc/pip.conf
DOCKERFILE
  DOCKER_BUILDKIT=1 "$DOCKER" build -q -t local/python:3.11-slim "$dir" >/dev/null
  say "added venv and pip to local/python:3.11-slim ($("$DOCKER" run --rm local/python:3.11-slim python -m pip --version | cut -d' ' -f1-2))"
fi

if [ "$FORCE" = 1 ] || ! have "local/uv:$UV_VERSION"; then
  dir="$WORK/uv"; rm -rf "$dir"; mkdir -p "$dir"
  python3 -m pip download --quiet --no-deps --only-binary=:all: --platform manylinux_2_17_x86_64 \
    --dest "$dir" "uv==$UV_VERSION"
  (cd "$dir" && python3 -m zipfile -e uv-*.whl wheel >/dev/null && cp wheel/uv-*.data/scripts/uv wheel/uv-*.data/scripts/uvx . && chmod 0755 uv uvx)
  printf 'FROM scratch\nCOPY uv uvx /\n' >"$dir/Dockerfile"
  DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "local/uv:$UV_VERSION" "$dir" >/dev/null
  say "built local/uv:$UV_VERSION from the PyPI wheel"
fi

for svc in nginx redis; do
  if [ "$FORCE" = 1 ] || ! have "local/$svc"; then
    DOCKER_BUILDKIT=1 "$DOCKER" build -q -t "local/$svc" -f "deploy/base/$svc.Dockerfile" deploy/base >/dev/null
    say "built local/$svc"
  fi
done
cat <<MSG
docker-base: done. Build the images against the local base with
  make docker-build-stage5     # (passes BASE_IMAGE=local/python:3.11-slim UV_IMAGE=local/uv:$UV_VERSION)
MSG
