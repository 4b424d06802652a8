#!/usr/bin/env bash
# Set-up of a fresh machine for running or testing Clawgate: PostgreSQL, NATS with JetStream and a Docker-API
# engine (installed from Debian's packages when missing, started when not running), `npm ci` (which builds),
# and the sandbox image (built offline from a debootstrap rootfs). Idempotent: run it as often as you like;
# services that are already up are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_postgres() {
  if ! command -v pg_ctlcluster >/dev/null; then log "installing PostgreSQL"; apt_install postgresql; fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -h 127.0.0.1 -p 5432
}

ensure_nats() {
  if ! command -v nats-server >/dev/null; then log "installing nats-server"; apt_install nats-server; fi
  if ! listening 4222; then
    log "starting NATS with JetStream"
    mkdir -p /var/lib/nats-server /var/log
    start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- \
      -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  fi
  for _ in $(seq 1 30); do listening 4222 && break; sleep 0.5; done
  listening 4222 || { log "NATS did not start"; exit 1; }
}

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# A Docker-API engine from Debian's packages (docs/sandbox.md): no systemd here, so dockerd is started by
# hand, without iptables or a bridge (sandboxes run with network none). overlay2 first, vfs where overlay
# cannot stack on the host's filesystem. With DOCKER_HOST set (podman), that engine is used as it is.
ensure_container_engine() {
  command -v debootstrap >/dev/null || { log "installing debootstrap"; apt_install debootstrap; }
  if [ -n "${DOCKER_HOST:-}" ]; then
    engine_answers || { log "DOCKER_HOST=$DOCKER_HOST does not answer"; exit 1; }
    return
  fi
  if ! command -v dockerd >/dev/null; then log "installing docker.io"; apt_install docker.io; fi
  local driver
  for driver in overlay2 vfs; do
    engine_answers && break
    if ! pgrep -x dockerd >/dev/null; then
      log "starting dockerd (storage driver $driver)"
      mkdir -p /var/log
      start-stop-daemon --start --oknodo --background --output /var/log/dockerd.log --exec "$(command -v dockerd)" -- \
        --iptables=false --ip6tables=false --bridge=none --storage-driver="$driver"
    fi
    for _ in $(seq 1 30); do engine_answers && break; pgrep -x dockerd >/dev/null || break; sleep 0.5; done
  done
  engine_answers || { log "dockerd did not start: see /var/log/dockerd.log"; exit 1; }
}

# The sandbox tests' image, built offline from a debootstrap rootfs (cached under ~/.cache/clawgate).
ensure_sandbox_image() {
  local image="${CLAWGATE_SANDBOX_IMAGE:-clawgate-sandbox:latest}"
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    log "building the sandbox image $image"
    npm run -s clawgate -- sandbox build-image --tag "$image"
  fi
}

ensure_postgres
ensure_nats
ensure_container_engine

log "npm ci"
npm ci --no-audit --no-fund
ensure_sandbox_image
log "ready"
