#!/usr/bin/env bash
# Installs what building campaign-ledger needs beyond the Swift toolchain: LMDB's headers and
# library (Debian's liblmdb-dev) and its command-line tools (lmdb-utils: mdb_stat, mdb_dump);
# and, for the shared-log tests, Debian's PostgreSQL server and psql.
# Safe to run again: it installs only what is missing.
set -euo pipefail
missing=()
pkg-config --exists lmdb 2>/dev/null || missing+=(liblmdb-dev pkg-config)
command -v mdb_stat >/dev/null 2>&1 || missing+=(lmdb-utils)
# The shared PostgreSQL log's tests start private clusters (docs/scale-out.md).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
