#!/usr/bin/env python3
"""Python in process (the C library through ctypes) against the Swift API in process
(`ledger-bench`) and against `ledger serve`, in one run (docs/performance.md, "Embedded from
Python"):

  - appends of 10 000-event batches into a new store: Python `Ledger.append(JSON Lines text)`,
    `ledger-bench import-api --batch 10000` (events parsed before the clock; without
    ledger-bench, `ledger import --batch-size 10000`: the library parsing the same text), and
    `POST /v1/events` with JSON Lines bodies of 10 000 events over one connection;
  - point queries (`contact show` of random contacts) for --seconds each: Python
    `Ledger.contact`, `ledger-bench queries` (typed reads, no JSON), and
    `GET /v1/campaigns/C/contacts/K` over one keep-alive connection from Python.

Each figure is the median of --runs runs (default 3). Usage:

  tools/bench_embed.py [--events 200000] [--runs 3] [--seconds 3]
      [--library .build/campaign-ledger-c/lib/libCampaignLedgerC.so]
      [--ledger .build/release/ledger] [--bench tools/bench/.build/release/ledger-bench]

Build first: tools/build_clib.sh; swift build -c release --product ledger;
swift build -c release --package-path tools/bench. Work files: .build-bench/embed.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=200_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--library", default=os.path.join(ROOT, ".build/campaign-ledger-c/lib/libCampaignLedgerC.so"))
    p.add_argument("--ledger", default=os.path.join(ROOT, ".build/release/ledger"))
    p.add_argument("--bench", default=os.path.join(ROOT, "tools/bench/.build/release/ledger-bench"))
    args = p.parse_args()
    for path, what in ((args.library, "tools/build_clib.sh"), (args.ledger, "swift build -c release --product ledger")):
        if not os.path.exists(path):
            sys.exit(f"bench_embed: no {path}; build it first: {what}")
    bench = args.bench if os.path.exists(args.bench) else None
    if bench is None:
        print(f"no {args.bench}: the Swift figures are `ledger import --batch-size 10000` (the library in "
              "process, JSON Lines parsed) and no Swift point queries", file=sys.stderr)
    os.environ["CAMPAIGN_LEDGER_LIBRARY"] = os.path.abspath(args.library)
    sys.path.insert(0, os.path.join(ROOT, "Sources/python"))
    from campaign_ledger import Ledger

    work = os.path.join(ROOT, ".build-bench/embed")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    trace = os.path.join(work, "trace.jsonl")
    if bench:
        subprocess.run([bench, "generate", "--events", str(args.events), "--output", trace], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    else:  # the demo generator through the CLI, exported: about 20 events per contact
        demo = os.path.join(work, "demo")
        subprocess.run([args.ledger, "demo", "--store", demo, "--campaigns", "10", "--contacts", str(max(1, args.events // 200))],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([args.ledger, "export", "--store", demo, "--output", trace], check=True)
    lines = open(trace, encoding="utf-8").read().splitlines()
    batches = ["\n".join(lines[i:i + 10_000]) for i in range(0, len(lines), 10_000)]
    contacts = [(e["campaign"], e["contact"]) for e in map(json.loads, lines) if e["type"] == "contact.added"]
    figures = {}

    def record(name, values):
        figures[name] = statistics.median(values)
        print(f"{name}\t{figures[name]:.0f}\t(runs: {', '.join(f'{v:.0f}' for v in values)})", flush=True)

    def bench_metric(command, metric):
        out = subprocess.run([bench, *command], check=True, capture_output=True, text=True).stdout
        return float(dict(line.split("\t")[:2] for line in out.splitlines() if "\t" in line)[metric])

    # Appends of 10 000-event batches.
    python_eps, swift_eps, http_eps = [], [], []
    for run in range(args.runs):
        store = os.path.join(work, f"python-{run}")
        with Ledger(store) as ledger:
            start = time.perf_counter()
            for batch in batches:
                ledger.append(batch)
            python_eps.append(len(lines) / (time.perf_counter() - start))
        swift_store = os.path.join(work, f"swift-{run}")
        if bench:
            swift_eps.append(bench_metric(["import-api", "--trace", trace, "--store", swift_store, "--batch", "10000"],
                                          "import_api_eps"))
        else:
            out = subprocess.run([args.ledger, "import", trace, "--store", swift_store, "--batch-size", "10000", "--json"],
                                 check=True, capture_output=True, text=True).stdout
            swift_eps.append(float(json.loads(out)["eventsPerSecond"]))
        http_eps.append(http_appends(args.ledger, os.path.join(work, f"http-{run}"), batches, len(lines)))
    record("python_batch10k_eps", python_eps)
    record("swift_api_batch10k_eps" if bench else "swift_import_batch10k_eps", swift_eps)
    record("http_batch10k_eps", http_eps)

    # Point queries on the store Python made.
    store = os.path.join(work, "python-0")
    rng = random.Random(1)
    python_qps, swift_qps, http_qps = [], [], []
    for run in range(args.runs):
        with Ledger(store, catch_up=False) as ledger:
            count, start = 0, time.perf_counter()
            while time.perf_counter() - start < args.seconds:
                for _ in range(1000):
                    ledger.contact(*contacts[rng.randrange(len(contacts))])
                count += 1000
            python_qps.append(count / (time.perf_counter() - start))
        if bench:
            swift_qps.append(bench_metric(["queries", "--trace", trace, "--store", store, "--seconds", str(args.seconds)],
                                          "query_contact_qps"))
        http_qps.append(http_queries(args.ledger, store, contacts, args.seconds, rng))
    record("python_contact_qps", python_qps)
    if swift_qps:
        record("swift_api_contact_qps", swift_qps)
    record("http_contact_qps", http_qps)

    batch_ratio = figures["python_batch10k_eps"] / figures["swift_api_batch10k_eps" if bench else "swift_import_batch10k_eps"]
    query_ratio = figures["python_contact_qps"] / figures["http_contact_qps"]
    print(f"python/swift API, 10k batches: {batch_ratio:.2f} (target >= 0.8: {'met' if batch_ratio >= 0.8 else 'MISSED'})")
    print(f"python/ledger serve, point queries: {query_ratio:.1f} (target >= 10: {'met' if query_ratio >= 10 else 'MISSED'})")
    if swift_qps:
        print(f"python/swift API, point queries: {figures['python_contact_qps'] / figures['swift_api_contact_qps']:.2f}")


class Server:
    """`ledger serve` on a port of its own, stopped with SIGTERM."""

    def __init__(self, ledger, store):
        self.log = open(store + ".serve.log", "w")
        self.process = subprocess.Popen([ledger, "serve", "--store", store, "--listen", "127.0.0.1:0"],
                                        stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            raise SystemExit(f"bench_embed: ledger serve did not start: {line!r}")
        address = line.split("//", 1)[1].strip().rstrip("/")
        host, port = address.rsplit(":", 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=600)

    def request(self, method, path, body=None, headers=None):
        self.connection.request(method, path, body=body, headers=headers or {})
        response = self.connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise SystemExit(f"bench_embed: {method} {path}: {response.status} {data[:300]!r}")
        return data

    def stop(self):
        self.connection.close()
        self.process.terminate()
        if self.process.wait(timeout=60) != 0:
            raise SystemExit("bench_embed: ledger serve did not exit 0")
        self.log.close()


def http_appends(ledger, store, batches, total):
    empty = store + ".empty.jsonl"  # `ledger serve` opens a store; importing nothing makes one
    open(empty, "w").close()
    subprocess.run([ledger, "import", empty, "--store", store], check=True, capture_output=True)
    server = Server(ledger, store)
    start = time.perf_counter()
    for batch in batches:
        server.request("POST", "/v1/events", batch.encode(), {"Content-Type": "application/x-ndjson"})
    eps = total / (time.perf_counter() - start)
    server.stop()
    return eps


def http_queries(ledger, store, contacts, seconds, rng):
    from urllib.parse import quote
    server = Server(ledger, store)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            campaign, contact = contacts[rng.randrange(len(contacts))]
            server.request("GET", f"/v1/campaigns/{quote(campaign, safe='')}/contacts/{quote(contact, safe='')}")
        count += 100
    qps = count / (time.perf_counter() - start)
    server.stop()
    return qps


if __name__ == "__main__":
    main()
