#!/usr/bin/env bash
# Wait (bounded) for the local services the tests use while the machine is still booting:
# PostgreSQL 5432 (accepting connections, not just listening), Redis 6379, RabbitMQ 5672.
# A service that never comes up is reported and the tests run anyway: they say clearly what is missing.
# Usage: scripts/wait_for_services.sh [seconds, default $SERVICES_WAIT_SECONDS or 60]
set -uo pipefail
limit="${1:-${SERVICES_WAIT_SECONDS:-60}}"
host="${SERVICES_HOST:-127.0.0.1}"
deadline=$(( $(date +%s) + limit ))

port_open() { (exec 3<>"/dev/tcp/$host/$1") 2>/dev/null; }

ready() {
  case "$1" in
    postgresql)
      if command -v pg_isready >/dev/null 2>&1; then pg_isready -q -h "$host" -p 5432 -t 2; else port_open 5432; fi ;;
    redis)
      if command -v redis-cli >/dev/null 2>&1; then
        local reply; reply="$(redis-cli -h "$host" -p 6379 ping 2>&1)"
        [[ "$reply" == PONG || "$reply" == *NOAUTH* ]]   # NOAUTH: up, with a password
      else port_open 6379; fi ;;
    rabbitmq) port_open 5672 ;;
  esac
}

waiting=(postgresql redis rabbitmq)
while [ "${#waiting[@]}" -gt 0 ]; do
  still=()
  for service in "${waiting[@]}"; do ready "$service" || still+=("$service"); done
  waiting=("${still[@]+"${still[@]}"}")
  [ "${#waiting[@]}" -eq 0 ] && break
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "==> not ready after ${limit}s: ${waiting[*]} (tests needing them will say so)" >&2
    exit 0
  fi
  sleep 1
done
echo "==> services ready: PostgreSQL, Redis, RabbitMQ"
