#!/usr/bin/env bash
# Make sure a PostgreSQL database answers for the tests, and print its URL.
#
#   scripts/ensure-postgres.sh        print a working database URL on stdout
#   scripts/ensure-postgres.sh stop   stop the throwaway cluster started before
#
# It tries, in order:
#   1. the database at $AGENTIDP_TEST_DATABASE_URL (default below);
#   2. starting the machine's own cluster (pg_ctlcluster) and creating the
#      database in it;
#   3. a throwaway cluster (initdb, trust auth, fsync off) on a free port under
#      $AGENTIDP_TEST_PG_DIR, run as the postgres user when we are root.
# Messages go to stderr. When no database can be had it prints nothing and
# exits 0, so the PostgreSQL tests skip - except under CI=true, where that
# is fatal (exit 1): CI always tests against PostgreSQL.
set -euo pipefail

DEFAULT_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
URL="${AGENTIDP_TEST_DATABASE_URL:-$DEFAULT_URL}"
STATE="${AGENTIDP_TEST_PG_DIR:-${TMPDIR:-/tmp}/agentidp-test-pg}"

log() { echo "ensure-postgres: $*" >&2; }

give_up() {
	if [ "${CI:-}" = "true" ]; then
		log "FATAL: $*"
		exit 1
	fi
	log "$*; the PostgreSQL tests will be skipped"
	exit 0
}

# answers URL: can we run a query there?
answers() {
	if command -v psql >/dev/null 2>&1; then
		PGCONNECT_TIMEOUT=3 psql "$1" -XAtqc 'select 1' >/dev/null 2>&1
	elif command -v pg_isready >/dev/null 2>&1; then
		pg_isready -q -t 3 -d "$1"
	else
		return 1
	fi
}

# as_postgres CMD...: run a command as the postgres user (PostgreSQL refuses
# to run as root), or as ourselves when we are not root.
as_postgres() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

stop_throwaway() {
	if [ -f "$STATE/data/postmaster.pid" ]; then
		bindir="$(cat "$STATE/bindir")"
		as_postgres "$bindir/pg_ctl" -D "$STATE/data" -m fast -w stop >/dev/null 2>&1 || true
		log "stopped the throwaway cluster in $STATE"
	fi
	rm -rf "$STATE"
}

if [ "${1:-}" = "stop" ]; then
	stop_throwaway
	exit 0
fi

# 1. Something already answers.
if answers "$URL"; then
	echo "$URL"
	exit 0
fi
if [ -f "$STATE/url" ] && answers "$(cat "$STATE/url")"; then
	cat "$STATE/url"
	exit 0
fi

# Under CI on a machine without PostgreSQL, install it (Debian).
if [ "${CI:-}" = "true" ] && ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 &&
	command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	log "installing PostgreSQL"
	apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends postgresql >&2 ||
		log "could not install PostgreSQL"
fi

# 2. The machine's own cluster, for the default URL only: another URL names
# a server we know nothing about.
if [ "$URL" = "$DEFAULT_URL" ] && command -v pg_ctlcluster >/dev/null 2>&1 &&
	[ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
	for version in $(ls /etc/postgresql); do
		log "starting the PostgreSQL $version cluster 'main'"
		pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 2>/dev/null || true
	done
	for _ in $(seq 1 20); do
		pg_isready -q -h 127.0.0.1 -p 5432 && break
		sleep 0.5
	done
	if pg_isready -q -h 127.0.0.1 -p 5432; then
		as_postgres createdb -h 127.0.0.1 -p 5432 -U postgres test >/dev/null 2>&1 || true
		if answers "$URL"; then
			echo "$URL"
			exit 0
		fi
		log "the machine's cluster runs but refuses $URL (authentication?)"
	fi
fi

# 3. A throwaway cluster.
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
	give_up "no database at $URL and no PostgreSQL installed to start one"
fi
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
	give_up "no database at $URL and no postgres user to run a throwaway cluster"
fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=55432
while ! port_free "$port"; do
	port=$((port + 1))
	[ "$port" -lt 55532 ] || give_up "no free port for a throwaway cluster"
done

rm -rf "$STATE"
mkdir -p "$STATE"
echo "$bindir" >"$STATE/bindir"
if [ "$(id -u)" -eq 0 ]; then chown postgres "$STATE"; fi

log "starting a throwaway PostgreSQL cluster in $STATE on port $port"
if ! as_postgres "$bindir/initdb" -D "$STATE/data" -U postgres --auth=trust >"$STATE/initdb.log" 2>&1; then
	cat "$STATE/initdb.log" >&2
	give_up "initdb failed"
fi
if ! as_postgres "$bindir/pg_ctl" -D "$STATE/data" -l "$STATE/data/server.log" -w \
	-o "-p $port -k $STATE -c listen_addresses=127.0.0.1 -c fsync=off" start >&2; then
	give_up "the throwaway cluster did not start (see $STATE/data/server.log)"
fi
as_postgres "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres test >&2

url="postgres://postgres@127.0.0.1:$port/test?sslmode=disable"
answers "$url" || give_up "the throwaway cluster does not answer at $url"
echo "$url" | tee "$STATE/url"
log "use AGENTIDP_TEST_DATABASE_URL=$url; stop it with: scripts/ensure-postgres.sh stop"
