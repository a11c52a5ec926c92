# shellcheck shell=bash
# Where PostgreSQL lives on this machine. Source it; do not run it.

# postgres_bindir: the directory holding initdb, postgres and psql (Debian keeps them out of
# PATH, under /usr/lib/postgresql/<major>/bin), or the one COUPON_POOLS_POSTGRES_BIN names;
# empty when PostgreSQL is not installed.
postgres_bindir() {
  local d
  if [ -n "${COUPON_POOLS_POSTGRES_BIN:-}" ]; then
    d=$COUPON_POOLS_POSTGRES_BIN
    [ -x "$d/postgres" ] && [ -x "$d/initdb" ] && [ -x "$d/psql" ] && echo "$d"
    return 0
  fi
  for d in "$(pg_config --bindir 2>/dev/null)" $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r) \
    "$(dirname -- "$(readlink -f -- "$(command -v postgres 2>/dev/null || echo /nonexistent)")")"; do
    [ -n "$d" ] && [ -x "$d/postgres" ] && [ -x "$d/initdb" ] && [ -x "$d/psql" ] && { echo "$d"; return; }
  done
  return 0
}
# shellcheck disable=SC2034  # used by the sourcing scripts
POSTGRES_BIN=$(postgres_bindir)
