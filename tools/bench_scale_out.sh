#!/usr/bin/env bash
# The shared PostgreSQL log's benchmark (issue #17, docs/scale-out.md), in one run on this machine:
#   - appends through PostgreSQL from three hosts (three `ledger import` processes, three stores,
#     each its own campaign), single events (--batch-size 1: one append, one round trip, per
#     event) and 100-event batches;
#   - the same load on LMDB alone (the three processes appending to one store, no --log);
#   - the floor PostgreSQL sets here: pgbench, three clients, a plain insert function that takes
#     the same advisory lock and moves a head row (no ledger code);
#   - follower catch-up: `ledger follow --once` of a fresh store from the whole log.
# Medians of --runs runs (events/s). A private cluster (initdb in a temporary directory, a loopback
# port, run as `nobody` when root), stopped by pid at the end.
#
#   tools/bench_scale_out.sh [--ledger .build/release/ledger] [--events 2000] [--runs 3]
set -euo pipefail
cd "$(dirname "$0")/.."
LEDGER=.build/release/ledger
EVENTS=2000
RUNS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --ledger) LEDGER=$2; shift 2 ;;
    --events) EVENTS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    *) echo "usage: $0 [--ledger PATH] [--events N per host] [--runs N]" >&2; exit 64 ;;
  esac
done
[ -x "$LEDGER" ] || { echo "no $LEDGER: swift build -c release --product ledger" >&2; exit 69; }
LEDGER=$(realpath "$LEDGER")
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$BIN/initdb" ] || { echo "PostgreSQL is not installed: tools/setup.sh" >&2; exit 69; }

WORK=$(mktemp -d /tmp/bench-scale-out.XXXXXX)
AS=()
if [ "$(id -u)" = 0 ]; then chown nobody:nogroup "$WORK"; AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups); fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${AS[@]}" "$BIN/initdb" -D "$WORK/data" -U ledger --auth=trust -E UTF8 --no-locale > /dev/null
"${AS[@]}" "$BIN/postgres" -D "$WORK/data" -p "$PORT" -k "$WORK" -c listen_addresses=127.0.0.1 > "$WORK/server.log" 2>&1 &
PG_PID=$!
trap 'kill -INT $PG_PID 2>/dev/null; wait $PG_PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 300); do "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" && break; sleep 0.1; done
"$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" || { echo "postgres did not start" >&2; exit 69; }
export PGOPTIONS="-c client_min_messages=warning"
PSQL=("$BIN/psql" -X -q -t -A -h 127.0.0.1 -p "$PORT" -U ledger)

# One import file per host: a campaign and EVENTS-1 contacts.
for h in 1 2 3; do
  python3 - "$WORK/host$h.jsonl" "$h" "$EVENTS" <<'PY'
import sys
path, host, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path, "w") as f:
    f.write('{"id":"h%s-c","type":"campaign.created","campaign":"host%s","channel":"sms","at":"2026-11-20T08:00:00Z"}\n' % (host, host))
    for i in range(1, n):
        f.write('{"id":"h%s-%d","type":"contact.added","campaign":"host%s","contact":"k%d","address":"+420601%06d","at":"2026-11-20T08:01:00Z"}\n' % (host, i, host, i, i))
PY
done

now() { date +%s.%N; }
median() { python3 -c 'import sys, statistics; print(round(statistics.median(float(x) for x in sys.argv[1:])))' "$@"; }

# Three imports at once; prints events/s over the wall time.
three_hosts() {  # batch, store prefix, log URL or empty
  local batch=$1 prefix=$2 url=$3 start end pids=()
  start=$(now)
  for h in 1 2 3; do
    local store="$prefix$h"; [ -z "$url" ] && store="$prefix"
    if [ -n "$url" ]; then
      "$LEDGER" import "$WORK/host$h.jsonl" --batch-size "$batch" --store "$store" --log "$url" 2> /dev/null &
    else
      "$LEDGER" import "$WORK/host$h.jsonl" --batch-size "$batch" --store "$store" 2> /dev/null &
    fi
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  end=$(now)
  python3 -c "print(3 * $EVENTS / ($end - $start))"
}

declare -A results
for run in $(seq 1 "$RUNS"); do
  for batch in 1 100; do
    db="b${batch}r${run}"
    "${PSQL[@]}" -d postgres -c "CREATE DATABASE $db" > /dev/null
    url="postgres://ledger@127.0.0.1:$PORT/$db"
    results[pg$batch]+=" $(three_hosts "$batch" "$WORK/$db-host" "$url")"
    results[lmdb$batch]+=" $(three_hosts "$batch" "$WORK/$db-alone" "")"
    if [ "$batch" = 100 ]; then
      start=$(now)
      "$LEDGER" follow --once --store "$WORK/$db-follower" --log "$url" > /dev/null
      end=$(now)
      total=$("${PSQL[@]}" -d "$db" -c "SELECT count(*) FROM ledger_events")
      results[follow]+=" $(python3 -c "print($total / ($end - $start))")"
      "$LEDGER" verify --store "$WORK/$db-follower" --log "$url" > /dev/null || { echo "verify --log failed after the run" >&2; exit 1; }
    fi
  done
  # The floor: pgbench, three clients, one plain locked insert per transaction.
  "${PSQL[@]}" -d postgres > /dev/null <<'SQL'
DROP TABLE IF EXISTS plain_events; DROP TABLE IF EXISTS plain_head;
CREATE TABLE plain_events (position bigint PRIMARY KEY, id text UNIQUE NOT NULL, body text NOT NULL, hash bytea NOT NULL);
CREATE TABLE plain_head (position bigint NOT NULL); INSERT INTO plain_head VALUES (0);
CREATE OR REPLACE FUNCTION plain_append(body text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE p bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(1);
  UPDATE plain_head SET position = position + 1 RETURNING position INTO p;
  INSERT INTO plain_events VALUES (p, 'id-' || p, body, sha256(convert_to(body, 'UTF8')));
  RETURN p;
END $$;
SQL
  echo "SELECT plain_append('{\"type\":\"contact.added\",\"campaign\":\"host1\",\"contact\":\"k' || :client_id || '\",\"address\":\"+420601000001\",\"at\":\"2026-11-20T08:01:00Z\"}');" > "$WORK/plain.sql"
  tps=$("$BIN/pgbench" -n -h 127.0.0.1 -p "$PORT" -U ledger -c 3 -j 3 -T 10 -f "$WORK/plain.sql" postgres 2> /dev/null \
    | awk '/^tps/ {print $3}')
  results[pgbench]+=" $tps"
done

cat <<EOF
shared PostgreSQL log benchmark: $RUNS runs, 3 hosts x $EVENTS events, medians in events/s
  (binary $LEDGER, PostgreSQL $("$BIN/postgres" --version | awk '{print $3}'), $(nproc) cores)
single-event appends, 3 hosts through PostgreSQL   $(median ${results[pg1]})   (runs:${results[pg1]})
single-event appends, 3 processes on LMDB alone    $(median ${results[lmdb1]})   (runs:${results[lmdb1]})
100-event batches, 3 hosts through PostgreSQL      $(median ${results[pg100]})   (runs:${results[pg100]})
100-event batches, 3 processes on LMDB alone       $(median ${results[lmdb100]})   (runs:${results[lmdb100]})
pgbench, 3 clients, plain locked insert (floor)    $(median ${results[pgbench]})   (runs:${results[pgbench]})
follower catch-up (follow --once, whole log)       $(median ${results[follow]})   (runs:${results[follow]})
EOF
