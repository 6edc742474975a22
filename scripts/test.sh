#!/usr/bin/env bash
# Runs pactwatch's whole test-suite, as CI does. It installs what the tests
# need from Debian's packages when missing (PostgreSQL, Chromium), starts a
# throw-away PostgreSQL server on loopback for the store and durability tests,
# then runs go vet and go test. Extra arguments go to go test
# (e.g. scripts/test.sh -run Store ./store/...).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} from Debian's packages…" >&2
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# A private PostgreSQL cluster: nothing outside this run uses or sees it.
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pgdir=$(mktemp -d /tmp/pactwatch-pg.XXXXXX)
pgport=${PACTWATCH_TEST_PGPORT:-54329}
runpg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
[ "$(id -u)" = 0 ] && chown postgres "$pgdir"
runpg "$pgbin/initdb" -D "$pgdir/data" -U pactwatch --auth=trust -E UTF8 >/dev/null
runpg "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
  -o "-p $pgport -k $pgdir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on" start >/dev/null
stop_pg() { runpg "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pgdir"; }
trap stop_pg EXIT

export PACTWATCH_TEST_POSTGRES="postgres://pactwatch@127.0.0.1:$pgport/postgres?sslmode=disable"
# Tests that manage their own PostgreSQL server (kill -9 durability) find
# its binaries here.
export PACTWATCH_TEST_PGBIN="$pgbin"
export PACTWATCH_TEST_CHROMIUM="${PACTWATCH_TEST_CHROMIUM:-$(command -v chromium)}"

go vet ./...
if [ $# -eq 0 ]; then set -- ./...; fi
go test -count=1 -timeout 45m "$@"
