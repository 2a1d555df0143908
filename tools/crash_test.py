#!/usr/bin/env python3
"""Crash test (issue #7, DESIGN.md §7): kill -9 during `ledger import` and concurrent appends.

Each round starts, against one store, a `ledger import` of a new file (its own campaign, several
transactions of --batch-size events) and --appenders threads that each run `ledger append` one
event at a time. At a random moment every running `ledger` process of the round gets SIGKILL.
An append is *acknowledged* when its process printed its outcome (it prints after the commit).
Then the harness reopens the store and checks:

  - every acknowledged append is in the log, at the position it was given, with its id;
  - the import left whole batches only: its campaign holds 0, k × batch or all of its events,
    and they are the file's first lines in order;
  - `ledger verify` passes (hash chain, indexes, head, projections against a fresh fold) and the
    active build's checkpoint is the head;
  - every --rebuild-every rounds and at the end, `ledger rebuild --no-activate --verify` folds
    the log into a new build whose fingerprint equals the active build's (then drops it);
  - re-running the killed import (not killed) completes it: appended + duplicates = its lines.

Usage: tools/crash_test.py [--rounds 20] [--seed 1] [--appenders 3] [--contacts 2000]
                           [--batch-size 1000] [--ledger .build/release/ledger] [--json]
Exit status 0 when nothing was lost; 1 with the first violation printed.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Violation(Exception):
    pass


def find_ledger(given):
    if given:
        return given
    for conf in ("release", "debug"):
        path = os.path.join(ROOT, ".build", conf, "ledger")
        if os.access(path, os.X_OK):
            return path
    sys.exit("crash_test: build first (swift build -c release), or pass --ledger PATH")


def finish(figures, as_json, work):
    """Prints a run's figures (one JSON object, or an `ok:` line), removes its directory, returns 0."""
    print(json.dumps(figures) if as_json else "ok: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    shutil.rmtree(work, ignore_errors=True)
    return 0


class Harness:
    def __init__(self, args):
        self.args = args
        self.ledger = find_ledger(args.ledger)
        self.rng = random.Random(args.seed)
        self.work = tempfile.mkdtemp(prefix="ledger-crash-")
        self.store = os.path.join(self.work, "store")
        self.head = 0
        self.figures = {
            "rounds": 0, "kills": 0, "killedImports": 0, "killedAppends": 0, "acknowledged": 0,
            "eventsChecked": 0, "partialImportsSeen": 0, "rebuildChecks": 0, "maxDelay": 0,
        }

    # -- running the binary ---------------------------------------------------------------------

    def run(self, *argv, stdin=None, check=True):
        p = subprocess.run([self.ledger, *argv, "--store", self.store], input=stdin,
                           capture_output=True, text=True)
        if check and p.returncode != 0:
            raise Violation(f"ledger {' '.join(argv)} exited {p.returncode}: {p.stderr.strip()}")
        return p

    def run_json(self, *argv):
        return json.loads(self.run(*argv, "--json").stdout)

    # -- the workload ---------------------------------------------------------------------------

    def import_file(self, round_no):
        """A valid history for campaign imp-ROUND: created, N contacts, started, sent, delivered."""
        campaign = f"imp-{round_no}"
        n = self.args.contacts
        lines = [{"type": "campaign.created", "campaign": campaign, "channel": "sms",
                  "name": f"crash round {round_no}", "at": "2026-11-20T08:00:00Z"}]
        for k in range(n):
            lines.append({"type": "contact.added", "campaign": campaign, "contact": f"c{k}",
                          "address": f"+4206{k:08d}", "at": "2026-11-20T08:01:00Z"})
        lines.append({"type": "campaign.started", "campaign": campaign, "at": "2026-11-20T09:00:00Z"})
        for k in range(n):
            lines.append({"type": "contact.status", "campaign": campaign, "contact": f"c{k}",
                          "status": "sent", "providerRef": f"ref-{round_no}-{k}", "at": "2026-11-20T09:00:01Z"})
        for k in range(n):
            lines.append({"type": "contact.status", "campaign": campaign, "contact": f"c{k}",
                          "status": "delivered", "at": "2026-11-20T09:00:03Z",
                          "meta": {"round": round_no, "k": k}})
        path = os.path.join(self.work, f"round-{round_no}.jsonl")
        with open(path, "w") as f:
            for line in lines:
                f.write(json.dumps(line, separators=(",", ":")) + "\n")
        return path, lines

    def setup(self):
        self.run("append", stdin=json.dumps({"id": "app-created", "type": "campaign.created", "campaign": "appenders",
                                             "channel": "whatsapp", "at": "2026-11-20T08:00:00Z"}))
        self.run("append", stdin=json.dumps({"id": "app-started", "type": "campaign.started", "campaign": "appenders",
                                             "at": "2026-11-20T08:00:01Z"}))
        self.head = 2
        # Round 0 calibrates: the same workload, not killed; kills then fall in 0…1.2 × its import's time.
        import_seconds = self.round(0, kill=False)
        if self.args.max_delay is None:
            self.args.max_delay = 1.2 * import_seconds

    def round(self, round_no, kill=True):
        """One round; returns how long the import ran (until killed, or to its end)."""
        path, lines = self.import_file(round_no)
        lock = threading.Lock()
        running = set()
        stop = threading.Event()
        acked = []  # (id, position)

        def start(argv, stdin=None):
            with lock:
                if stop.is_set():
                    return None
                p = subprocess.Popen([self.ledger, *argv, "--store", self.store], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                running.add(p)
            return p

        def appender(t):
            n = 0
            while not stop.is_set():
                event_id = f"ap-{round_no}-{t}-{n}"
                event = {"id": event_id, "type": "contact.added", "campaign": "appenders",
                         "contact": f"a{round_no}-{t}-{n}", "address": f"+4207{t:02d}{n:06d}",
                         "at": "2026-11-20T08:02:00Z"}
                p = start(["append", "--json"])
                if p is None:
                    return
                out, err = p.communicate(json.dumps(event))
                with lock:
                    running.discard(p)
                if p.returncode == 0:
                    answer = json.loads(out)  # printed after the commit: acknowledged
                    if answer["outcome"] != "appended" or answer["id"] != event_id:
                        raise Violation(f"append of {event_id} answered {out.strip()}")
                    acked.append((event_id, answer["position"]))
                elif p.returncode != -signal.SIGKILL:
                    raise Violation(f"append of {event_id} exited {p.returncode}: {err.strip()}")
                n += 1

        started = time.time()
        importer = start(["import", path, "--batch-size", str(self.args.batch_size), "--json"])
        errors = []

        def guarded(target, *a):
            try:
                target(*a)
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=guarded, args=(appender, t)) for t in range(self.args.appenders)]
        for th in threads:
            th.start()
        if kill:
            time.sleep(self.rng.uniform(0.0, self.args.max_delay))
        else:
            importer.wait()
        import_seconds = time.time() - started
        with lock:
            stop.set()
            victims = list(running) if kill else []
            for p in victims:
                try:
                    p.send_signal(signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for th in threads:
            th.join()
        importer.wait()
        for p in victims:
            p.wait()
        if errors:
            raise errors[0]
        killed = [p for p in victims if p.returncode == -signal.SIGKILL]
        self.figures["kills"] += 1 if kill else 0
        self.figures["killedAppends"] += sum(1 for p in killed if p is not importer)
        if importer.returncode == -signal.SIGKILL:
            self.figures["killedImports"] += 1
        elif importer.returncode != 0:
            raise Violation(f"import exited {importer.returncode}: {importer.stderr.read().strip()}")
        self.figures["acknowledged"] += len(acked)
        self.check(round_no, lines, acked)
        # Finish the import (not killed): the committed batches are duplicates now.
        summary = json.loads(self.run("import", path, "--batch-size", str(self.args.batch_size), "--json").stdout)
        if summary["appended"] + summary["duplicates"] != len(lines) or summary["rejected"] != 0:
            raise Violation(f"re-running import {path}: {summary}")
        self.head = self.run_json("verify")["head"]["position"]
        self.figures["rounds"] += 1 if kill else 0
        return import_seconds

    # -- the checks -----------------------------------------------------------------------------

    def check(self, round_no, lines, acked):
        report = json.loads(self.run("verify", "--json", check=False).stdout)
        if not report["ok"]:
            raise Violation(f"round {round_no}: verify failed: {report['problems'][:3]}")
        head = report["head"]["position"]
        self.figures["eventsChecked"] += report["eventsChecked"]
        builds = self.run_json("projections", "list")
        active = [b for b in builds if b.get("state") == "active"]
        if len(active) != 1 or active[0]["checkpoint"] != head:
            raise Violation(f"round {round_no}: active build {active} is not at the head {head}")
        export = self.run("export", "--after", str(self.head)).stdout.splitlines()
        new = [json.loads(x) for x in export]
        if [e["position"] for e in new] != list(range(self.head + 1, head + 1)):
            raise Violation(f"round {round_no}: export after {self.head} is not positions {self.head + 1}…{head}")
        by_id = {e["id"]: e["position"] for e in new}
        for event_id, position in acked:
            if by_id.get(event_id) != position:
                raise Violation(f"round {round_no}: acknowledged {event_id} at {position} is "
                                f"{'at ' + str(by_id[event_id]) if event_id in by_id else 'missing'}")
        imported = [e for e in new if e["campaign"] == f"imp-{round_no}"]
        b = self.args.batch_size
        if not (len(imported) % b == 0 or len(imported) == len(lines)):
            raise Violation(f"round {round_no}: a partial batch: {len(imported)} of {len(lines)} events (batch {b})")
        for got, want in zip(imported, lines):
            if (got["type"], got.get("contact"), got.get("status")) != (want["type"], want.get("contact"), want.get("status")):
                raise Violation(f"round {round_no}: imported events are not the file's first lines in order")
        if 0 < len(imported) < len(lines):
            self.figures["partialImportsSeen"] += 1
        if round_no > 0 and (round_no % self.args.rebuild_every == 0 or round_no == self.args.rounds):
            self.check_rebuild(round_no)

    def check_rebuild(self, round_no):
        summary = json.loads(self.run("rebuild", "--no-activate", "--verify", "--json", check=False).stdout)
        if summary.get("fingerprintMatches") is not True:
            raise Violation(f"round {round_no}: a fresh fold differs from the active build: {summary}")
        self.run("projections", "drop", str(summary["build"]))
        self.figures["rebuildChecks"] += 1

    def main(self):
        started = time.time()
        try:
            self.setup()
            for r in range(1, self.args.rounds + 1):
                self.round(r)
                if not self.args.json:
                    f = self.figures
                    print(f"round {r}: head {self.head}, acknowledged {f['acknowledged']}, "
                          f"killed imports {f['killedImports']}, partial imports seen {f['partialImportsSeen']}",
                          file=sys.stderr)
        except Violation as v:
            print(f"crash_test: VIOLATION: {v} (store kept at {self.store})", file=sys.stderr)
            return 1
        self.figures["head"] = self.head
        self.figures["maxDelay"] = round(self.args.max_delay, 2)
        self.figures["seconds"] = round(time.time() - started, 1)
        return finish(self.figures, self.args.json, self.work)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=20, help="kill rounds (default 20)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the kill moments (default 1)")
    ap.add_argument("--appenders", type=int, default=3, help="concurrent appending threads (default 3)")
    ap.add_argument("--contacts", type=int, default=2000, help="contacts per import file: 3N+2 lines (default 2000)")
    ap.add_argument("--batch-size", type=int, default=1000, help="import --batch-size (default 1000)")
    ap.add_argument("--max-delay", type=float, help="latest kill moment in seconds (default: 1.2 × round 0's import time)")
    ap.add_argument("--rebuild-every", type=int, default=5, help="rebuild --verify every N rounds (default 5)")
    ap.add_argument("--ledger", help="the ledger binary (default .build/release/ledger, else debug)")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    return Harness(ap.parse_args()).main()


if __name__ == "__main__":
    sys.exit(main())
