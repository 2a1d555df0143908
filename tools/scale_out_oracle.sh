#!/usr/bin/env bash
# Issue #17's check against the specification program (ledger-oracle, which lives outside this
# project): a generated messy trace split by campaign over three hosts (three processes, three
# stores) that import at once through one shared PostgreSQL log; then each host catches up and
# `ledger-oracle compare` checks its store against the whole trace, `verify --log` checks its
# chain against the log, and the three heads must be one. A private cluster (initdb in a
# temporary directory, a loopback port, run as `nobody` when root), stopped by pid at the end.
#
#   tools/scale_out_oracle.sh --oracle PATH/ledger-oracle [--ledger .build/debug/ledger]
#                             [--seed 7] [--campaigns 6] [--contacts 60] [--scenario mixed]
set -euo pipefail
cd "$(dirname "$0")/.."
LEDGER=.build/debug/ledger
ORACLE=
SEED=7
CAMPAIGNS=6
CONTACTS=60
SCENARIO=mixed
while [ $# -gt 0 ]; do
  case "$1" in
    --oracle) ORACLE=$2; shift 2 ;;
    --ledger) LEDGER=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --campaigns) CAMPAIGNS=$2; shift 2 ;;
    --contacts) CONTACTS=$2; shift 2 ;;
    --scenario) SCENARIO=$2; shift 2 ;;
    *) echo "usage: $0 --oracle PATH [--ledger PATH] [--seed N] [--campaigns N] [--contacts N] [--scenario S]" >&2; exit 64 ;;
  esac
done
[ -n "$ORACLE" ] && [ -f "$ORACLE" ] || { echo "give --oracle PATH: the ledger-oracle program" >&2; exit 64; }
[ -x "$LEDGER" ] || { echo "no $LEDGER: swift build --product ledger" >&2; exit 69; }
LEDGER=$(realpath "$LEDGER")
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$BIN/initdb" ] || { echo "PostgreSQL is not installed: tools/setup.sh" >&2; exit 69; }

WORK=$(mktemp -d /tmp/scale-out-oracle.XXXXXX)
AS=()
if [ "$(id -u)" = 0 ]; then chown nobody:nogroup "$WORK"; AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups); fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${AS[@]}" "$BIN/initdb" -D "$WORK/data" -U ledger --auth=trust -E UTF8 --no-locale > /dev/null
"${AS[@]}" "$BIN/postgres" -D "$WORK/data" -p "$PORT" -k "$WORK" -c listen_addresses=127.0.0.1 > "$WORK/server.log" 2>&1 &
PG_PID=$!
trap 'kill -INT $PG_PID 2>/dev/null; wait $PG_PID 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 300); do "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" && break; sleep 0.1; done
"$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" || { echo "postgres did not start" >&2; exit 69; }
URL="postgres://ledger@127.0.0.1:$PORT/postgres"

python3 "$ORACLE" gen --seed "$SEED" --campaigns "$CAMPAIGNS" --contacts "$CONTACTS" --scenario "$SCENARIO" > "$WORK/trace.jsonl"
# Campaigns dealt round-robin to the hosts, each host's lines in trace order.
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
hosts, files = {}, [open(f"{work}/host{h}.jsonl", "w") for h in (1, 2, 3)]
for line in open(f"{work}/trace.jsonl"):
    if not line.strip():
        continue
    campaign = json.loads(line)["campaign"]
    hosts.setdefault(campaign, len(hosts) % 3)
    files[hosts[campaign]].write(line)
print(f"{sum(1 for _ in open(f'{work}/trace.jsonl'))} lines, {len(hosts)} campaigns over 3 hosts")
PY

pids=()
for h in 1 2 3; do
  "$LEDGER" import "$WORK/host$h.jsonl" --batch-size 25 --store "$WORK/store$h" --log "$URL" > "$WORK/import$h.out" 2>&1 &
  pids+=($!)
done
for h in 1 2 3; do wait "${pids[$((h - 1))]}" || { echo "host $h's import failed:"; cat "$WORK/import$h.out"; exit 1; }; done

status=0
heads=()
for h in 1 2 3; do
  "$LEDGER" follow --once --store "$WORK/store$h" --log "$URL" > /dev/null
  echo "host $h:"
  python3 "$ORACLE" compare --ledger "$LEDGER" --store "$WORK/store$h" "$WORK/trace.jsonl" || status=1
  "$LEDGER" verify --log "$URL" --store "$WORK/store$h" | tail -1 || status=1
  heads+=("$("$LEDGER" verify --store "$WORK/store$h" | tail -1)")
done
if [ "${heads[0]}" = "${heads[1]}" ] && [ "${heads[0]}" = "${heads[2]}" ]; then
  echo "one head on the three hosts: ${heads[0]}"
else
  echo "the hosts' heads differ: ${heads[*]}"; status=1
fi
exit $status
