#!/usr/bin/env bash
# A Docker engine from the repo's own commands: `make docker-engine` (start), `make docker-engine-stop`.
# Installs Debian's docker.io when no engine is installed, starts dockerd when none answers (log in
# ${DOCKERD_LOG}), and says plainly why when this machine cannot run one. Never pretends.
set -euo pipefail
DOCKERD_LOG=${DOCKERD_LOG:-/tmp/roadmap-dockerd.log}
PIDFILE=${DOCKERD_PIDFILE:-/tmp/roadmap-dockerd.pid}
cmd=${1:-start}

docker_cli() {  # Debian's client first: the one on PATH may lack the buildx plugin BuildKit needs
  if [ -x /usr/bin/docker ]; then echo /usr/bin/docker; else command -v docker || true; fi
}

answers() { local cli; cli=$(docker_cli); [ -n "$cli" ] && "$cli" info >/dev/null 2>&1; }

case "$cmd" in
  status)
    if answers; then echo "docker engine answers ($("$(docker_cli)" version --format '{{.Server.Version}}'))"; exit 0; fi
    echo "no docker engine answers"; exit 1 ;;
  stop)
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
      kill "$(cat "$PIDFILE")"; rm -f "$PIDFILE"; echo "stopped the dockerd this repo started"
    else echo "no dockerd started by this repo is running"; fi
    exit 0 ;;
  start) ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

if answers; then echo "docker engine already answers: $(docker_cli)"; exit 0; fi
if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: no Docker engine installed, and installing Debian's docker.io needs root: run 'sudo apt-get install -y docker.io' (or install Docker Engine) and retry" >&2
    exit 1
  fi
  echo "installing Debian's docker.io (Docker Engine) with apt-get ..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "error: dockerd is installed but not running, and starting it needs root: run 'sudo dockerd &' or 'sudo systemctl start docker'" >&2
  exit 1
fi
if [ ! -d /sys/fs/cgroup ] || [ -z "$(ls -A /sys/fs/cgroup 2>/dev/null)" ]; then
  echo "error: this machine has no cgroup filesystem at /sys/fs/cgroup; a container engine cannot run here" >&2
  exit 1
fi
echo "starting dockerd (log: $DOCKERD_LOG) ..."
nohup dockerd >"$DOCKERD_LOG" 2>&1 &
echo $! >"$PIDFILE"
for _ in $(seq 1 60); do
  if answers; then echo "docker engine answers: $(docker_cli)"; exit 0; fi
  if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then break; fi
  sleep 1
done
echo "error: dockerd did not come up; last lines of $DOCKERD_LOG:" >&2
tail -n 15 "$DOCKERD_LOG" >&2 || true
exit 1
