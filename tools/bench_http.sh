#!/usr/bin/env bash
# Appends and queries over HTTP (`ledger serve`, docs/server.md), measured with wrk (Debian's
# `wrk`, not our code), against the in-process figure of 64 tasks appending single events
# (`ledger-bench appends`) in the same run; figures in docs/performance.md.
#
#   tools/bench_http.sh [--seconds N] [--build debug|release]
#
# Needs wrk (`apt-get install -y wrk`). Uses .build/<build>/ledger and, when present, the
# benchmark driver ledger-bench (.build/<build>/ledger-bench or tools/bench/.build/<build>/)
# for the in-process figure. Work files live under .build-bench/http (git-ignored). Prints one
# `metric<TAB>value` line per figure, then the ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10
build=release
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_http: unknown option $1" >&2; exit 64 ;;
  esac
done
command -v wrk > /dev/null || { echo "bench_http: wrk is missing: apt-get install -y wrk" >&2; exit 69; }
ledger=.build/$build/ledger
[ -x "$ledger" ] || { echo "bench_http: no $ledger; swift build -c $build first" >&2; exit 69; }
bench=""
for candidate in .build/$build/ledger-bench tools/bench/.build/$build/ledger-bench; do
  [ -x "$candidate" ] && bench=$candidate && break
done
work=.build-bench/http
rm -rf "$work"
mkdir -p "$work"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2> /dev/null; wait 2> /dev/null; }
trap cleanup EXIT

# A store with one started campaign for the appends, and 20 000 contacts for the point queries.
python3 - "$work/setup.jsonl" <<'PY'
import json, sys
at = "2026-11-30T09:00:00Z"
with open(sys.argv[1], "w") as f:
    for c, ch in (("bench", "sms"), ("query", "whatsapp")):
        f.write(json.dumps({"type": "campaign.created", "campaign": c, "channel": ch, "at": at}) + "\n")
        f.write(json.dumps({"type": "campaign.started", "campaign": c, "at": at}) + "\n")
    for i in range(20000):
        f.write(json.dumps({"type": "contact.added", "campaign": "query", "contact": f"q{i}", "address": f"+420601{i:06d}", "at": at}) + "\n")
        f.write(json.dumps({"type": "contact.status", "campaign": "query", "contact": f"q{i}", "status": "delivered", "at": at}) + "\n")
PY
"$ledger" import "$work/setup.jsonl" --store "$work/store" 2> /dev/null

"$ledger" serve --store "$work/store" --listen 127.0.0.1:0 > "$work/serve.out" 2> "$work/serve.log" &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$work/serve.out" 2> /dev/null && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$work/serve.out")
[ -n "$base" ] || { echo "bench_http: the server did not start" >&2; cat "$work/serve.log" >&2; exit 70; }

# wrk scripts: POST batches of new contacts with unique ids (thread number, request number),
# and GET random contacts.
cat > "$work/append.lua" <<'LUA'
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args) batch = tonumber(args[1]); n = 0 end
function request()
  n = n + 1
  local parts = {}
  for i = 1, batch do
    local c = string.format("w%d-%d-%d", tid, n, i)
    parts[i] = '{"id":"' .. c .. '","type":"contact.added","campaign":"bench","contact":"' .. c ..
      '","address":"+420600000000","at":"2026-11-30T09:00:00Z"}'
  end
  return wrk.format("POST", "/v1/events", {["Content-Type"] = "application/json"}, "[" .. table.concat(parts, ",") .. "]")
end
LUA
cat > "$work/query.lua" <<'LUA'
function request()
  return wrk.format("GET", "/v1/campaigns/query/contacts/q" .. math.random(0, 19999))
end
LUA

# wrk --latency output → requests/s, p50 and p99 in ms; fails on any non-2xx answer.
run_wrk() {
  local name=$1; shift
  wrk --latency "$@" > "$work/$name.txt"
  if grep -q "Non-2xx" "$work/$name.txt"; then cat "$work/$name.txt" >&2; echo "bench_http: $name had errors" >&2; exit 70; fi
  python3 - "$work/$name.txt" "$name" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
name = sys.argv[2]
def ms(v, unit): return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
p = {m.group(1): ms(m.group(2), m.group(3)) for m in re.finditer(r"\s(50|99)%\s+([\d.]+)(us|ms|s)\b", text)}
print(f"{name}_rps\t{rps:.0f}\n{name}_p50_ms\t{p['50']:.2f}\n{name}_p99_ms\t{p['99']:.2f}")
PY
}

{
  run_wrk http_append1 -t 2 -c 64 -d "${seconds}s" -s "$work/append.lua" "$base" -- 1
  run_wrk http_append100 -t 2 -c 64 -d "${seconds}s" -s "$work/append.lua" "$base" -- 100
  run_wrk http_contact_show -t 2 -c 64 -d "${seconds}s" -s "$work/query.lua" "$base"
  run_wrk http_contact_show_c1 -t 1 -c 1 -d "${seconds}s" -s "$work/query.lua" "$base"
} | tee "$work/results.tsv"
kill -TERM "$server_pid"; wait "$server_pid" || { echo "bench_http: the server did not exit 0" >&2; exit 70; }
server_pid=""
"$ledger" verify --store "$work/store" > /dev/null || { echo "bench_http: the store does not verify" >&2; exit 1; }

if [ -n "$bench" ]; then
  rm -rf "$work/inprocess"
  "$bench" appends --store "$work/inprocess" --tasks 64 --appends 200 2> /dev/null | tee -a "$work/results.tsv"
fi
python3 - "$work/results.tsv" <<'PY'
import sys
r = dict(l.split("\t") for l in open(sys.argv[1]).read().split("\n") if "\t" in l)
f = {k: float(v) for k, v in r.items()}
print(f"HTTP single-event appends (64 connections): {f['http_append1_rps']:.0f} events/s, p50 {f['http_append1_p50_ms']} ms, p99 {f['http_append1_p99_ms']} ms")
print(f"HTTP 100-event batches (64 connections):    {f['http_append100_rps'] * 100:.0f} events/s, p50 {f['http_append100_p50_ms']} ms, p99 {f['http_append100_p99_ms']} ms")
print(f"HTTP contact show, 64 keep-alive connections: {f['http_contact_show_rps']:.0f}/s (p99 {f['http_contact_show_p99_ms']} ms); 1 connection: {f['http_contact_show_c1_rps']:.0f}/s")
if "append64_eps" in f:
    ratio = f["http_append1_rps"] / f["append64_eps"]
    print(f"in process, 64 tasks: {f['append64_eps']:.0f} events/s; HTTP single-event / in-process = {ratio:.2f} (target >= 0.5: {'met' if ratio >= 0.5 else 'MISSED'})")
else:
    print("in-process figure skipped: no ledger-bench binary")
PY
