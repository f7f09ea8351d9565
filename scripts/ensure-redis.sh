#!/usr/bin/env bash
# Make sure the Redis named by REDIS_URL (default redis://127.0.0.1:6379/0) answers.
#
# 1. If it answers PING, there is nothing to do.
# 2. Otherwise, if it should run on this machine: install redis-server when it is
#    missing (only as root, with apt-get) and start a private, daemonized
#    redis-server on loopback, with its config, pid file and log under var/redis/.
#    It keeps running after `make run` stops; `make clean` stops it.
# 3. Anything else is explained and exits 1.
set -euo pipefail

here=${BASH_SOURCE[0]%/*}
[[ $here != "${BASH_SOURCE[0]}" ]] || here=.
ROOT=$(cd "$here/.." && pwd)
[[ -f $ROOT/manage.py ]] || {
    echo "ensure-redis: cannot find the project next to $0" >&2
    exit 1
}
URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
VENV_PY=$ROOT/.venv/bin/python
RUN_DIR=$ROOT/var/redis
WAIT_SECONDS=10

say() { echo "ensure-redis: $*"; }
die() {
    echo "ensure-redis: $*" >&2
    exit 1
}

# scheme, host, port, username, password: one per line (Python's parser copes with
# %-escapes, [::1] and missing parts).
parsed=$(python3 - "$URL" <<'EOF'
import sys
from urllib.parse import unquote, urlsplit

u = urlsplit(sys.argv[1])
print(u.scheme)
print(u.hostname or ("" if u.scheme == "unix" else "127.0.0.1"))
print(u.port or 6379)
print(unquote(u.username or ""))
print(unquote(u.password or ""))
print("end")  # so that $(...) keeps the empty lines above
EOF
) || die "cannot parse REDIS_URL=$URL"
{
    read -r SCHEME
    read -r HOST
    read -r PORT
    IFS= read -r USERNAME
    IFS= read -r PASSWORD
} <<<"$parsed"

# The URL without its password, for messages.
SHOWN=$(sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$URL")

ping_redis() {
    if [[ $SCHEME == redis && ${USERNAME:-default} == default ]] && command -v redis-cli >/dev/null; then
        # -h/-p and REDISCLI_AUTH rather than -u, whose URL parsing varies by version.
        if [[ -n $PASSWORD ]]; then export REDISCLI_AUTH=$PASSWORD; fi
        [[ $(timeout 5 redis-cli -h "$HOST" -p "$PORT" ping 2>/dev/null) == PONG ]]
    elif [[ -x $VENV_PY ]] && "$VENV_PY" -c 'import redis' 2>/dev/null; then
        "$VENV_PY" - "$URL" <<'EOF' 2>/dev/null
import sys

import redis

client = redis.Redis.from_url(sys.argv[1], socket_connect_timeout=2, socket_timeout=2)
sys.exit(0 if client.ping() else 1)
EOF
    elif [[ $SCHEME == redis && -z $PASSWORD ]]; then
        # Neither redis-cli nor the venv yet: speak RESP over bash's /dev/tcp.
        # shellcheck disable=SC2016  # $1 and $2 belong to the inner bash
        timeout 5 bash -c '
            exec 3<>"/dev/tcp/$1/$2" || exit 1
            printf "PING\r\n" >&3
            IFS= read -r reply <&3
            [[ $reply == +PONG* ]]' _ "$HOST" "$PORT" 2>/dev/null
    else
        return 1
    fi
}

port_in_use() {
    # shellcheck disable=SC2016  # $1 and $2 belong to the inner bash
    timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$HOST" "$PORT" 2>/dev/null
}

if ping_redis; then
    exit 0
fi

[[ $SCHEME == redis ]] || die "Redis at $SHOWN does not answer; only redis:// URLs on loopback are started automatically."
case $HOST in
    127.* | localhost | ::1) ;;
    *) die "Redis at $SHOWN does not answer, and it is not on this machine.
Start it there, or unset REDIS_URL to use a local Redis on 127.0.0.1:6379." ;;
esac

if port_in_use; then
    die "something listens on $HOST:$PORT but does not answer PING as the Redis of
REDIS_URL=$SHOWN (wrong password, or not Redis?). Free the port or fix REDIS_URL."
fi

if ! command -v redis-server >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        say "redis-server is not installed; installing it with apt-get"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq redis-server >/dev/null
        # The package may have started its own service on the default port.
        if ping_redis; then
            say "the packaged Redis answers on $HOST:$PORT"
            exit 0
        fi
    else
        die "redis-server is not installed, and installing it needs root. Install it with:
    sudo apt-get install -y redis-server      (Debian/Ubuntu)
    brew install redis                        (macOS)
or point REDIS_URL at a running Redis, then run make again."
    fi
fi

# Listen on exactly the loopback address(es) the URL can reach.
redis_major=$(redis-server --version | sed -n 's/.* v=\([0-9]*\).*/\1/p')
case $HOST in
    ::1) BIND="::1" ;;
    localhost) if ((${redis_major:-0} >= 7)); then BIND="127.0.0.1 -::1"; else BIND="127.0.0.1"; fi ;;
    *) BIND=$HOST ;;
esac

mkdir -p "$RUN_DIR"
CONF=$RUN_DIR/redis-$PORT.conf
PIDFILE=$RUN_DIR/redis-$PORT.pid
LOGFILE=$RUN_DIR/redis-$PORT.log

quote() { # a redis.conf string: "..." with \ and " escaped
    local s=${1//\\/\\\\}
    printf '"%s"' "${s//\"/\\\"}"
}

umask 077 # the config may hold a password
{
    echo "# Written by scripts/ensure-redis.sh for Podlab; a throwaway, memory-only Redis."
    echo "daemonize yes"
    echo "bind $BIND"
    echo "port $PORT"
    echo "dir $(quote "$RUN_DIR")"
    echo "pidfile $(quote "$PIDFILE")"
    echo "logfile $(quote "$LOGFILE")"
    echo 'save ""'
    echo "appendonly no"
    if [[ -n $PASSWORD ]]; then echo "requirepass $(quote "$PASSWORD")"; fi
} >"$CONF"

say "starting redis-server on $HOST:$PORT (log: ${LOGFILE#"$ROOT"/})"
redis-server "$CONF"

for ((i = 0; i < WAIT_SECONDS * 5; i++)); do
    if ping_redis; then
        say "Redis is up on $HOST:$PORT (pid $(cat "$PIDFILE" 2>/dev/null || echo '?'))"
        exit 0
    fi
    sleep 0.2
done

echo "ensure-redis: redis-server did not answer on $HOST:$PORT within ${WAIT_SECONDS}s. Its log:" >&2
tail -n 20 "$LOGFILE" >&2 2>/dev/null || true
exit 1
