#!/usr/bin/env bash
# Make sure the PostgreSQL server named by DATABASE_URL answers, and that the
# database it names exists.
#
# 1. If the server answers (pg_isready), go on to step 3.
# 2. Otherwise, if it should run on this machine and we are root: start the local
#    cluster with pg_ctlcluster, or first install PostgreSQL with apt-get when
#    there is none. A cluster installed here is also given the URL's role.
# 3. Connect as the URL's user; create the database when it does not exist.
# Anything else is explained and exits 1.
set -euo pipefail

here=${BASH_SOURCE[0]%/*}
[[ $here != "${BASH_SOURCE[0]}" ]] || here=.
ROOT=$(cd "$here/.." && pwd)
[[ -f $ROOT/manage.py ]] || {
    echo "ensure-postgres: cannot find the project next to $0" >&2
    exit 1
}
VENV_PY=$ROOT/.venv/bin/python
WAIT_SECONDS=30

say() { echo "ensure-postgres: $*"; }
die() {
    echo "ensure-postgres: $*" >&2
    exit 1
}

URL=${DATABASE_URL:-}
[[ -n $URL ]] || die "DATABASE_URL is not set (without it Podlab uses SQLite and needs no PostgreSQL)."
SHOWN=$(sed -E 's#(://[^:/@]*):[^@/]*@#\1:***@#' <<<"$URL")

# host, port, user, password, database, sslmode: one per line.  Like
# dj-database-url, a %-encoded host such as %2Fvar%2Frun%2Fpostgresql is a
# socket directory, and an empty host means libpq's default socket.
parsed=$(python3 - "$URL" <<'EOF'
import sys
from urllib.parse import parse_qs, unquote, urlsplit

u = urlsplit(sys.argv[1])
hostport = u.netloc.rpartition("@")[2]
host, port = hostport, ""
if hostport.startswith("["):
    host, _, rest = hostport[1:].partition("]")
    port = rest.lstrip(":")
elif ":" in hostport:
    host, _, port = hostport.rpartition(":")
query = parse_qs(u.query)
print(unquote(host))
print(port or "5432")
print(unquote(u.username or ""))
print(unquote(u.password or ""))
print(unquote(u.path.lstrip("/")))
print(query.get("sslmode", [""])[0])
print("end")  # so that $(...) keeps the empty lines above
EOF
) || die "cannot parse DATABASE_URL=$SHOWN"
{
    IFS= read -r HOST
    IFS= read -r PORT
    IFS= read -r DB_USER
    IFS= read -r DB_PASSWORD
    IFS= read -r DB_NAME
    IFS= read -r SSLMODE
} <<<"$parsed"
[[ -n $DB_NAME ]] || die "DATABASE_URL names no database: $SHOWN"

# psql, createdb and pg_isready read these; empty parts keep libpq's defaults,
# exactly as Django's connection would.
export PGPORT=$PORT PGCONNECT_TIMEOUT=5
if [[ -n $HOST ]]; then export PGHOST=$HOST; fi
if [[ -n $DB_USER ]]; then export PGUSER=$DB_USER; fi
if [[ -n $DB_PASSWORD ]]; then export PGPASSWORD=$DB_PASSWORD; fi
if [[ -n $SSLMODE ]]; then export PGSSLMODE=$SSLMODE; fi
ROLE=${PGUSER:-$(id -un)}
WHERE=${PGHOST:-local socket}:$PORT

server_answers() {
    if command -v pg_isready >/dev/null; then
        pg_isready -q -t 3
    else # no client tools yet: is anything listening?
        python3 - "${PGHOST:-/var/run/postgresql}" "$PORT" <<'EOF'
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
try:
    if host.startswith("/"):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(3)
        s.connect(f"{host}/.s.PGSQL.{port}")
    else:
        socket.create_connection((host, port), timeout=3)
except OSError:
    sys.exit(1)
EOF
    fi
}

is_local() {
    case ${PGHOST:-} in
        "" | /* | localhost | 127.* | ::1) return 0 ;;
        *) return 1 ;;
    esac
}

# The local cluster serving $PORT, as "version name status" (from pg_lsclusters).
find_cluster() {
    pg_lsclusters --no-header 2>/dev/null | awk -v port="$PORT" '$3 == port { print $1, $2, $4; exit }'
}

wait_until_ready() {
    local i
    for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
        if server_answers; then return 0; fi
        sleep 0.5
    done
    return 1
}

# psql as the postgres superuser over the local socket (peer authentication).
psql_as_postgres() {
    env -u PGHOST -u PGUSER -u PGPASSWORD -u PGSSLMODE \
        runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"
}

# A cluster this script has just installed has only the postgres role, and
# Debian's default pg_hba.conf wants a password over TCP. Make the URL work:
# create its role (allowed to create databases, which the test runner needs),
# with the URL's password; when the URL has none, trust that role on loopback.
configure_new_cluster() {
    say "giving the new cluster the role \"$ROLE\" of DATABASE_URL"
    psql_as_postgres -v role="$ROLE" -v password="$DB_PASSWORD" <<'EOF'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'role', :'password')
 WHERE :'password' <> '' \gexec
EOF
    if [[ -z $DB_PASSWORD ]]; then
        local hba
        hba=$(psql_as_postgres -tA -c 'SHOW hba_file')
        say "DATABASE_URL has no password: trusting role \"$ROLE\" on 127.0.0.1 and ::1 in $hba"
        {
            echo "# Added by Podlab's scripts/ensure-postgres.sh (a local development cluster):"
            echo "host all \"$ROLE\" 127.0.0.1/32 trust"
            echo "host all \"$ROLE\" ::1/128 trust"
            cat "$hba"
        } >"$hba.podlab-new"
        chown --reference="$hba" "$hba.podlab-new"
        chmod --reference="$hba" "$hba.podlab-new"
        mv "$hba.podlab-new" "$hba"
        psql_as_postgres -tA -c 'SELECT pg_reload_conf()' >/dev/null
    fi
}

start_server() {
    is_local || die "PostgreSQL at $WHERE does not answer, and it is not on this machine.
Start it there, or fix DATABASE_URL ($SHOWN)."

    local root=0 fresh=0
    [[ $(id -u) == 0 ]] && root=1

    if ! compgen -G "/etc/postgresql/*/*/postgresql.conf" >/dev/null; then
        if ((root)) && command -v apt-get >/dev/null; then
            say "PostgreSQL is not installed; installing it with apt-get (a minute or two)"
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq
            apt-get install -y -qq postgresql >/dev/null
            fresh=1
        else
            die "PostgreSQL does not answer at $WHERE and is not installed. Install it with:
    sudo apt-get install -y postgresql        (Debian/Ubuntu)
and make sure the role \"$ROLE\" can log in, or unset DATABASE_URL to use SQLite."
        fi
    fi

    local cluster version name status
    cluster=$(find_cluster)
    [[ -n $cluster ]] || die "no local PostgreSQL cluster is set up for port $PORT. Clusters here:
$(pg_lsclusters 2>&1 || ls /etc/postgresql)"
    read -r version name status <<<"$cluster"

    if [[ $status != online* ]]; then
        ((root)) || die "the local PostgreSQL cluster $version/$name is stopped. Start it with:
    sudo pg_ctlcluster $version $name start"
        say "starting the local PostgreSQL cluster $version/$name on port $PORT"
        pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start
    fi
    wait_until_ready || die "PostgreSQL cluster $version/$name is running but does not answer at $WHERE
within ${WAIT_SECONDS}s (check listen_addresses and port in /etc/postgresql/$version/$name/postgresql.conf)."
    say "PostgreSQL answers at $WHERE"
    if ((fresh)); then configure_new_cluster; fi
}

# Creates $DB_NAME if it is missing, connecting as the URL's user.
ensure_database() {
    local err
    if command -v psql >/dev/null; then
        if err=$(psql -X -q -w -d "$DB_NAME" -c 'SELECT 1' 2>&1 >/dev/null); then
            return 0
        fi
        if [[ $err == *"database \"$DB_NAME\" does not exist"* ]]; then
            say "creating database \"$DB_NAME\" as \"$ROLE\""
            createdb -w -- "$DB_NAME"
            return 0
        fi
    elif [[ -x $VENV_PY ]]; then # no client tools: psycopg from the venv
        err=$("$VENV_PY" - "$DB_NAME" 2>&1 <<'EOF'
import sys

import psycopg
from psycopg import sql

name = sys.argv[1]
try:
    psycopg.connect(dbname=name).close()
    sys.exit(0)
except psycopg.OperationalError as exc:
    if f'database "{name}" does not exist' not in str(exc):
        sys.exit(str(exc).strip())
print(f'ensure-postgres: creating database "{name}"')
with psycopg.connect(dbname="postgres", autocommit=True) as conn:
    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
EOF
        ) && { [[ -z $err ]] || echo "$err"; } && return 0
    else
        die "neither psql nor the venv is available to check the database; run 'make venv' first."
    fi
    die "cannot connect to database \"$DB_NAME\" at $WHERE as \"$ROLE\":
$err
Check the user and password in DATABASE_URL ($SHOWN)."
}

main() {
    if ! server_answers; then
        start_server
    fi
    ensure_database
}

# Sourcing the file (for testing) defines the functions without running them.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main "$@"
fi
