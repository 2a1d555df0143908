#!/usr/bin/env python3
"""Concurrent processes (issue #7, DESIGN.md §5 and §7): one process appends continuously while
others run verify, export, history, queries and rebuild against the same store.

The writer is one `ledger import` of a large generated file in small transactions (--batch-size),
restarted with the next file when it ends, plus single `ledger append`s between them. --readers
threads each loop over the reading commands and check what they get:

  - verify --json: ok (one read transaction: a consistent snapshot, however the log grows);
  - export: positions 1…n without a gap, and the hash chain recomputed from the lines (with
    tools/check_evidence.py's canonical form) ends at the last line's hash: no torn read;
  - history / campaign show / metrics / contact list --json: exit 0, one JSON document, and a
    campaign's contact count never goes down between two reads;
  - rebuild --no-activate --verify (one thread): the fresh fold's fingerprint equals the active
    build's, then the build is dropped.

Any non-zero exit, parse failure or inconsistency is an error. At the end the store must verify,
and data.mdb is compared with a compacted copy (`ledger backup`): readers must not make the file
grow without bound (--max-growth, default 4×).

Usage: tools/concurrency_test.py [--seconds 30] [--readers 4] [--contacts 2000] [--no-rebuild]
                                 [--without verify|export|history|queries]
                                 [--max-growth 4] [--ledger PATH] [--json]
"""
import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)
from check_evidence import canonical, members  # noqa: E402
from crash_test import find_ledger, finish  # noqa: E402


class Failure(Exception):
    pass


def chain_of(lines):
    """Recomputes the chain over export lines; returns (positions ok, recomputed head = stored)."""
    h = bytes(32)
    for n, line in enumerate(lines, 1):
        fields = members(line)
        values = {k: v for k, _, v in fields}
        if values["position"] != n:
            raise Failure(f"export: line {n} has position {values['position']}")
        digest = hashlib.sha256(canonical(fields)).digest()
        h = hashlib.sha256(h + digest).digest()
        if h.hex() != values["hash"]:
            raise Failure(f"export: the chain breaks at position {n}")
    return len(lines)


class Run:
    def __init__(self, args):
        self.args = args
        self.ledger = find_ledger(args.ledger)
        self.work = tempfile.mkdtemp(prefix="ledger-concurrent-")
        self.store = os.path.join(self.work, "store")
        self.stop = threading.Event()
        self.errors = []
        self.lock = threading.Lock()
        self.counts = {"verify": 0, "export": 0, "history": 0, "queries": 0, "rebuild": 0, "appendProcesses": 0,
                       "importFiles": 0, "eventsVerifiedMax": 0, "exportedLinesChecked": 0}

    def run(self, *argv, stdin=None):
        p = subprocess.run([self.ledger, *argv, "--store", self.store], input=stdin, capture_output=True, text=True)
        if p.returncode != 0:
            raise Failure(f"ledger {' '.join(argv)} exited {p.returncode}: {p.stderr.strip()}")
        return p.stdout

    def count(self, key, n=1):
        with self.lock:
            self.counts[key] += n

    def guarded(self, body):
        def loop():
            try:
                while not self.stop.is_set():
                    body()
            except Exception as e:  # noqa: BLE001 - every failure is reported
                self.errors.append(e)
                self.stop.set()
        return threading.Thread(target=loop)

    def write_file(self, k):
        campaign = f"w{k}"
        n = self.args.contacts
        path = os.path.join(self.work, f"w{k}.jsonl")
        with open(path, "w") as f:
            def put(o):
                f.write(json.dumps(o, separators=(",", ":")) + "\n")
            put({"type": "campaign.created", "campaign": campaign, "channel": "sms", "at": "2026-11-20T08:00:00Z"})
            for c in range(n):
                put({"type": "contact.added", "campaign": campaign, "contact": f"c{c}",
                     "address": f"+4206{c:08d}", "at": "2026-11-20T08:01:00Z"})
            put({"type": "campaign.started", "campaign": campaign, "at": "2026-11-20T09:00:00Z"})
            for status in ("sent", "delivered", "read"):
                for c in range(n):
                    put({"type": "contact.status", "campaign": campaign, "contact": f"c{c}", "status": status,
                         "at": f"2026-11-20T09:0{('sent', 'delivered', 'read').index(status) + 1}:00Z"})
        return path

    def writer(self):
        k = 0

        def body():
            nonlocal k
            k += 1
            self.run("import", self.write_file(k), "--batch-size", "200")
            self.count("importFiles")
            for i in range(5):
                self.run("append", stdin=json.dumps({"type": "contact.added", "campaign": f"w{k}", "contact": f"x{i}",
                                                     "address": "+420601000000", "at": "2026-11-20T09:10:00Z"}))
                self.count("appendProcesses")
        return body

    def reader(self, seed):
        rng = random.Random(seed)
        last_contacts = {}

        def body():
            what = rng.choice([c for c in ("verify", "export", "history", "queries") if c not in self.args.without])
            if what == "verify":
                report = json.loads(self.run("verify", "--json"))
                if not report["ok"]:
                    raise Failure(f"verify: {report['problems'][:3]}")
                with self.lock:
                    self.counts["eventsVerifiedMax"] = max(self.counts["eventsVerifiedMax"], report["eventsChecked"])
            elif what == "export":
                lines = self.run("export").splitlines()
                self.count("exportedLinesChecked", chain_of(lines))
            elif what == "history":
                json.loads(self.run("history", "w0", "c1", "--json"))
            else:
                campaigns = json.loads(self.run("campaign", "list", "--json"))
                for c in campaigns:
                    shown = json.loads(self.run("campaign", "show", c["campaign"], "--json"))
                    contacts = shown["metrics"]["contacts"]
                    if contacts < last_contacts.get(c["campaign"], 0):
                        raise Failure(f"campaign {c['campaign']}: contacts went from {last_contacts[c['campaign']]} to {contacts}")
                    last_contacts[c["campaign"]] = contacts
                json.loads(self.run("metrics", "--json"))
                json.loads(self.run("contact", "list", "w0", "--limit", "50", "--json"))
            self.count(what)
        return body

    def rebuilder(self):
        def body():
            summary = json.loads(self.run("rebuild", "--no-activate", "--verify", "--json"))
            if summary.get("fingerprintMatches") is not True:
                raise Failure(f"rebuild --verify: {summary}")
            self.run("projections", "drop", str(summary["build"]))
            self.count("rebuild")
            time.sleep(1)
        return body

    def main(self):
        started = time.time()
        self.run("import", self.write_file(0))  # w0 exists before the readers start
        threads = [self.guarded(self.writer())]
        threads += [self.guarded(self.reader(i)) for i in range(self.args.readers)]
        if not self.args.no_rebuild:
            threads.append(self.guarded(self.rebuilder()))
        for t in threads:
            t.start()
        deadline = time.time() + self.args.seconds
        while time.time() < deadline and not self.stop.is_set():
            time.sleep(0.2)
        self.stop.set()
        for t in threads:
            t.join()
        if self.errors:
            print(f"concurrency_test: FAILED: {self.errors[0]} (store kept at {self.store})", file=sys.stderr)
            return 1
        report = json.loads(self.run("verify", "--json"))
        if not report["ok"]:
            print(f"concurrency_test: FAILED: final verify: {report['problems'][:3]}", file=sys.stderr)
            return 1
        copy = os.path.join(self.work, "compact")
        self.run("backup", copy)
        file_bytes = os.path.getsize(os.path.join(self.store, "data.mdb"))
        compact_bytes = os.path.getsize(os.path.join(copy, "data.mdb"))
        figures = dict(self.counts, readers=self.args.readers, events=report["eventsChecked"],
                       fileBytes=file_bytes, compactBytes=compact_bytes,
                       growth=round(file_bytes / compact_bytes, 2), seconds=round(time.time() - started, 1))
        if file_bytes > self.args.max_growth * compact_bytes:
            print(f"concurrency_test: FAILED: data.mdb is {file_bytes} bytes, {figures['growth']}× its compacted "
                  f"copy (limit {self.args.max_growth}×)", file=sys.stderr)
            return 1
        return finish(figures, self.args.json, self.work)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=30, help="how long the readers run (default 30)")
    ap.add_argument("--readers", type=int, default=4, help="reading threads, one process each at a time (default 4)")
    ap.add_argument("--contacts", type=int, default=2000, help="contacts per generated import file (default 2000)")
    ap.add_argument("--max-growth", type=float, default=4.0, help="largest data.mdb / compacted copy ratio (default 4)")
    ap.add_argument("--without", action="append", default=[], choices=["verify", "export", "history", "queries"],
                    help="leave a reading command out (repeatable)")
    ap.add_argument("--no-rebuild", action="store_true", help="no rebuild thread (its dropped builds leave free pages)")
    ap.add_argument("--ledger", help="the ledger binary (default .build/release/ledger, else debug)")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    return Run(ap.parse_args()).main()


if __name__ == "__main__":
    sys.exit(main())
