#!/usr/bin/env bash
# Appends, queries and provider callbacks over HTTP (`ledger serve`, docs/server.md), measured
# with wrk (Debian's `wrk`, not our code), against the in-process figure of 64 tasks appending
# single events (`ledger-bench appends`) in the same run; figures in docs/performance.md.
#
#   tools/bench_http.sh [--seconds N] [--build debug|release]
#
# Needs wrk (`apt-get install -y wrk`). Uses ledger and, when present, the benchmark driver
# ledger-bench (for the in-process figure) from .build/<build>/ or tools/bench/.build/<build>/;
# `swift build -c release --package-path tools/bench --product ledger` then the same without
# `--product` builds both there. Work files live under .build-bench/http (git-ignored). Prints
# one `metric<TAB>value` line per figure, then a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=10
build=release
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --build) build="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_http: unknown option $1" >&2; exit 64 ;;
  esac
done
command -v wrk > /dev/null || { echo "bench_http: wrk is missing: apt-get install -y wrk" >&2; exit 69; }
ledger=""
bench=""
for dir in .build/$build tools/bench/.build/$build; do
  [ -z "$ledger" ] && [ -x "$dir/ledger" ] && ledger=$dir/ledger
  [ -z "$bench" ] && [ -x "$dir/ledger-bench" ] && bench=$dir/ledger-bench
done
[ -n "$ledger" ] || { echo "bench_http: no ledger in .build/$build or tools/bench/.build/$build; swift build -c $build first" >&2; exit 69; }
work=.build-bench/http
rm -rf "$work"
mkdir -p "$work"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2> /dev/null; wait 2> /dev/null; }
trap cleanup EXIT

# A store with one started campaign for the appends, 20 000 contacts for the point queries, and
# the contacts the provider callbacks name: Meta webhooks of 100 statuses (correlation in
# `biz_opaque_callback_data`) and single Twilio StatusCallback forms (correlation in the query),
# each contact reported sent, delivered, read. The callbacks are signed here, before the run, with
# secrets made for it, as enough distinct requests for the measured seconds (each status a new
# event, so every one is appended): one file per wrk thread of `path<TAB>signature<TAB>body`
# lines that the wrk script only replays. One more request of each is checked before the run.
python3 - "$work" "$seconds" <<'PY'
import base64, calendar, hashlib, hmac, json, secrets, sys
from urllib.parse import quote
work, seconds = sys.argv[1], int(sys.argv[2])
threads = 2  # wrk -t 2
meta_requests = 300 * seconds      # more than the server takes in the time
twilio_requests = 12000 * seconds
meta_secret, twilio_token = secrets.token_hex(32), secrets.token_hex(16)
twilio_base = "https://hooks.bench.invalid/ledger"
with open(f"{work}/providers.json", "w") as f:
    json.dump({"meta": {"appSecret": meta_secret}, "twilio": {"authToken": twilio_token, "publicBaseUrl": twilio_base}}, f)
at = "2026-11-30T09:00:00Z"
t0 = calendar.timegm((2026, 11, 30, 10, 0, 0))
stages = (("sent", 0), ("delivered", 5), ("read", 60))
meta_contacts = (meta_requests * 100 + 2) // 3 + 34
twilio_contacts = (twilio_requests + 2) // 3 + 1
with open(f"{work}/setup.jsonl", "w") as f:
    def event(**e): f.write(json.dumps(e) + "\n")
    for c, ch in (("bench", "sms"), ("query", "whatsapp"), ("cbmeta", "whatsapp"), ("cbtwilio", "sms")):
        event(type="campaign.created", campaign=c, channel=ch, at=at)
        event(type="campaign.started", campaign=c, at=at)
    for i in range(20000):
        event(type="contact.added", campaign="query", contact=f"q{i}", address=f"+420601{i:06d}", at=at)
        event(type="contact.status", campaign="query", contact=f"q{i}", status="delivered", at=at)
    for i in range(meta_contacts):
        event(type="contact.added", campaign="cbmeta", contact=f"m{i}", address=f"+420602{i:06d}", at=at)
    for i in range(twilio_contacts):
        event(type="contact.added", campaign="cbtwilio", contact=f"t{i}", address=f"+420603{i:06d}", at=at)

# Meta: statuses in contact order (sent, delivered, read of each), 100 to a webhook.
def meta_status(i, status, dt):
    s = {"id": f"wamid.HBgMNDIwNjAy{i:09d}FQIAERgSQkVOQ0g=", "status": status, "timestamp": str(t0 + dt),
         "recipient_id": f"420602{i:06d}"}
    if status != "read":
        s["conversation"] = {"id": f"CONV{i:09d}", "origin": {"type": "marketing"}}
        s["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "marketing"}
    s["biz_opaque_callback_data"] = f"cbmeta/m{i}/1"
    return s
def meta_line(statuses):
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001111", "phone_number_id": "106540352242922"},
        "statuses": statuses}, "field": "messages"}]}]}, separators=(",", ":"))
    signature = "sha256=" + hmac.new(meta_secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    return f"/v1/callbacks/meta\t{signature}\t{body}\n"
statuses = [meta_status(i, s, dt) for i in range(meta_contacts) for s, dt in stages]
files = [open(f"{work}/meta.{t}.txt", "w") for t in range(threads)]
for r in range(meta_requests):
    files[r % threads].write(meta_line(statuses[r * 100:(r + 1) * 100]))
with open(f"{work}/meta.check.txt", "w") as f:
    f.write(meta_line(statuses[meta_requests * 100:meta_requests * 100 + 100]))
for f in files: f.close()

# Twilio: one form per status, in blocks of 1000 contacts (sent of each, then delivered, then read).
def twilio_line(i, status, dt):
    sid = f"SM{i:08d}{'b3e8a1c04f5d2e7a9c6b1f08d3e2a4c5'[:24]}"
    params = [("SmsSid", sid), ("SmsStatus", status), ("MessageStatus", status), ("To", f"+420603{i:06d}"),
              ("MessageSid", sid), ("AccountSid", "AC0123456789abcdef0123456789abcdef"), ("From", "+15550001111"),
              ("ApiVersion", "2010-04-01")]
    if status == "delivered":
        d = __import__("time").gmtime(t0 + dt)
        params.append(("RawDlrDoneDate", f"{d.tm_year % 100:02d}{d.tm_mon:02d}{d.tm_mday:02d}{d.tm_hour:02d}{d.tm_min:02d}"))
    path = f"/v1/callbacks/twilio?campaign=cbtwilio&contact=t{i}&attempt=1"
    signed = twilio_base + path + "".join(k + v for k, v in sorted(params))
    signature = base64.b64encode(hmac.new(twilio_token.encode(), signed.encode(), hashlib.sha1).digest()).decode()
    body = "&".join(f"{k}={quote(v, safe='')}" for k, v in params)
    return f"{path}\t{signature}\t{body}\n"
order = [(i, s, dt) for b in range(0, twilio_contacts, 1000) for s, dt in stages
         for i in range(b, min(b + 1000, twilio_contacts))]
files = [open(f"{work}/twilio.{t}.txt", "w") for t in range(threads)]
for r in range(twilio_requests):
    files[r % threads].write(twilio_line(*order[r]))
with open(f"{work}/twilio.check.txt", "w") as f:
    f.write(twilio_line(*order[twilio_requests]))
for f in files: f.close()
PY
"$ledger" import "$work/setup.jsonl" --store "$work/store" 2> /dev/null

"$ledger" serve --store "$work/store" --listen 127.0.0.1:0 --providers "$work/providers.json" > "$work/serve.out" 2> "$work/serve.log" &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$work/serve.out" 2> /dev/null && break; sleep 0.1; done
base=$(sed -n 's/^listening on //p' "$work/serve.out")
[ -n "$base" ] || { echo "bench_http: the server did not start" >&2; cat "$work/serve.log" >&2; exit 70; }

# The requests wrk will replay must be taken: one more of each, posted now, appends all its
# statuses (a wrong signature would be 401, an unknown contact parked with a 200).
python3 - "$base" "$work" <<'PY'
import json, sys, urllib.request
base, work = sys.argv[1], sys.argv[2]
for provider, ctype, header in (("meta", "application/json", "X-Hub-Signature-256"),
                                ("twilio", "application/x-www-form-urlencoded", "X-Twilio-Signature")):
    path, signature, body = open(f"{work}/{provider}.check.txt").read().rstrip("\n").split("\t")
    request = urllib.request.Request(base + path, data=body.encode(), method="POST",
                                     headers={"Content-Type": ctype, header: signature})
    outcomes = json.load(urllib.request.urlopen(request))["outcomes"]
    if {o["outcome"] for o in outcomes} != {"appended"}:
        sys.exit(f"bench_http: the {provider} check request was not appended: {outcomes[:3]}")
PY

# wrk scripts: POST batches of new contacts with unique ids (thread number, request number),
# GET random contacts, and replay the signed callbacks (each thread its own file; past its end
# it starts again, and says how many it replayed: those are duplicates, not appends).
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
cat > "$work/callback.lua" <<'LUA'
local threads = {}
function setup(thread) thread:set("tid", #threads); table.insert(threads, thread) end
function init(args)
  reqs = {}
  for line in io.lines(args[1] .. "." .. tid .. ".txt") do
    local path, signature, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    reqs[#reqs + 1] = wrk.format("POST", path, {["Content-Type"] = args[2], [args[3]] = signature}, body)
  end
  calls, count = 0, #reqs
end
function request()
  calls = calls + 1
  return reqs[(calls - 1) % #reqs + 1]
end
function done(summary, latency, requests)
  local replayed = 0
  for _, t in ipairs(threads) do replayed = replayed + math.max(0, t:get("calls") - t:get("count")) end
  io.write(string.format("Replayed requests: %d\n", replayed))
end
LUA

# Waits for the requests a wrk run left in flight (wrk stops without their answers; 64 Meta
# webhooks are 6 400 statuses) to be answered: until the server counts no POST in progress.
settle() {
  local metrics
  for _ in $(seq 600); do
    metrics=$(curl -sf "$base/metrics") || { echo "bench_http: GET /metrics failed" >&2; exit 70; }
    grep -Eq '^http_server_active_requests\{http_request_method="POST"\} [1-9]' <<< "$metrics" || return 0
    sleep 0.2
  done
  echo "bench_http: requests still in progress after 2 minutes" >&2; exit 70
}

# wrk --latency output → requests/s, p50 and p99 in ms; fails on any non-2xx answer.
run_wrk() {
  local name=$1; shift
  settle
  wrk --latency "$@" > "$work/$name.txt"
  if grep -q "Non-2xx" "$work/$name.txt"; then cat "$work/$name.txt" >&2; echo "bench_http: $name had errors" >&2; exit 70; fi
  python3 - "$work/$name.txt" "$name" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
name = sys.argv[2]
def ms(v, unit): return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
requests = int(re.search(r"(\d+) requests in", text).group(1))
p = {m.group(1): ms(m.group(2), m.group(3)) for m in re.finditer(r"\s(50|99)%\s+([\d.]+)(us|ms|s)\b", text)}
print(f"{name}_rps\t{rps:.0f}\n{name}_p50_ms\t{p['50']:.2f}\n{name}_p99_ms\t{p['99']:.2f}\n{name}_requests\t{requests}")
replayed = re.search(r"Replayed requests: (\d+)", text)
if replayed: print(f"{name}_replayed\t{replayed.group(1)}")
PY
}

{
  run_wrk http_append1 -t 2 -c 64 -d "${seconds}s" -s "$work/append.lua" "$base" -- 1
  run_wrk http_append100 -t 2 -c 64 -d "${seconds}s" -s "$work/append.lua" "$base" -- 100
  run_wrk http_contact_show -t 2 -c 64 -d "${seconds}s" -s "$work/query.lua" "$base"
  run_wrk http_contact_show_c1 -t 1 -c 1 -d "${seconds}s" -s "$work/query.lua" "$base"
  run_wrk http_meta100 -t 2 -c 64 -d "${seconds}s" -s "$work/callback.lua" "$base" -- \
    "$work/meta" application/json X-Hub-Signature-256
  run_wrk http_twilio -t 2 -c 64 -d "${seconds}s" -s "$work/callback.lua" "$base" -- \
    "$work/twilio" application/x-www-form-urlencoded X-Twilio-Signature
} | tee "$work/results.tsv"
kill -TERM "$server_pid"; wait "$server_pid" || { echo "bench_http: the server did not exit 0" >&2; exit 70; }
server_pid=""
"$ledger" verify --store "$work/store" > /dev/null || { echo "bench_http: the store does not verify" >&2; exit 1; }
# Every status a callback request wrk saw answered carried is an event now (more may be: wrk
# stops without waiting for the answers in flight), none beyond those sent, none parked.
"$ledger" export --store "$work/store" --output "$work/export.jsonl"
"$ledger" callbacks parked --store "$work/store" --json > "$work/parked.json"
python3 - "$work" <<'PY' | tee -a "$work/results.tsv"
import json, sys
work = sys.argv[1]
r = dict(l.split("\t") for l in open(f"{work}/results.tsv").read().split("\n") if "\t" in l)
events = {"meta": 0, "twilio": 0}
for line in open(f"{work}/export.jsonl"):
    if '"provider:' in line:
        actor = json.loads(line).get("actor", "")
        if actor.startswith("provider:"): events[actor[9:]] = events.get(actor[9:], 0) + 1
parked = len(json.load(open(f"{work}/parked.json")))
for provider, name, per in (("meta", "http_meta100", 100), ("twilio", "http_twilio", 1)):
    sent = sum(1 for t in (0, 1) for _ in open(f"{work}/{provider}.{t}.txt"))
    answered = min(int(r[f"{name}_requests"]), sent)
    got = events[provider] - per  # less the check request's
    print(f"{name}_events\t{got}")
    if not answered * per <= got <= sent * per:
        sys.exit(f"bench_http: {got} {provider} callback events, expected {answered * per} to {sent * per}")
if parked:
    sys.exit(f"bench_http: {parked} callbacks parked, expected none")
PY

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
    print(f"in process, 64 tasks: {f['append64_eps']:.0f} events/s, p50 {f['append64_p50_ms']:.2f} ms, p99 {f['append64_p99_ms']:.2f} ms; HTTP single-event / in-process = {ratio:.2f} (target >= 0.5: {'met' if ratio >= 0.5 else 'MISSED'})")
else:
    print("in-process figure skipped: no ledger-bench binary")
print(f"Meta webhooks of 100 statuses (64 connections): {f['http_meta100_rps'] * 100:.0f} statuses/s, p50 {f['http_meta100_p50_ms']} ms, p99 {f['http_meta100_p99_ms']} ms"
      + (f"; {f['http_meta100_replayed']:.0f} requests replayed (duplicates)" if f.get("http_meta100_replayed") else ""))
print(f"Twilio single-status forms (64 connections):    {f['http_twilio_rps']:.0f} callbacks/s, p50 {f['http_twilio_p50_ms']} ms, p99 {f['http_twilio_p99_ms']} ms"
      + (f"; {f['http_twilio_replayed']:.0f} requests replayed (duplicates)" if f.get("http_twilio_replayed") else ""))
PY
