#!/usr/bin/env bash
# Make a Docker engine answer on this machine, installing and starting one if needed.
#
# Idempotent: when `docker info` already answers, nothing happens. Otherwise
# Debian's docker.io (the engine) and debootstrap (for the base image, see
# build.py) are installed when missing, and dockerd is started in the background
# without a bridge network: containers here use host networking only.
#
# Environment: DOCKERD_LOG (default /var/log/cloudstate-dockerd.log),
#              DOCKERD_WAIT seconds to wait for the engine (default 60).
set -euo pipefail

log_file="${DOCKERD_LOG:-/var/log/cloudstate-dockerd.log}"
wait_seconds="${DOCKERD_WAIT:-60}"

if docker info >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "docker-up.sh: no Docker engine answers and starting one needs root" >&2
  exit 1
fi

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "docker-up.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# A second engine would fight the first over /var/run/docker.sock: only start
# one when no dockerd process exists (one may still be starting up).
if ! pgrep -x dockerd >/dev/null; then
  # An engine killed without a clean stop (a session ending, say) leaves its pid
  # file behind, and dockerd refuses to start while it exists.
  rm -f /var/run/docker.pid
  echo "docker-up.sh: starting dockerd (log: $log_file)" >&2
  mkdir -p "$(dirname "$log_file")"
  nohup dockerd --bridge=none --iptables=false --ip6tables=false >"$log_file" 2>&1 &
fi

deadline=$((SECONDS + wait_seconds))
until docker info >/dev/null 2>&1; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "docker-up.sh: the Docker engine did not answer within ${wait_seconds}s; last lines of $log_file:" >&2
    tail -n 30 "$log_file" >&2 || true
    exit 1
  fi
  sleep 1
done
echo "docker-up.sh: Docker engine ready ($(docker version --format '{{.Server.Version}}'))" >&2
