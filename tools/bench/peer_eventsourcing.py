"""The peer of the campaign-ledger benchmark: Python's `eventsourcing` package on SQLite.

Saves the benchmark's trace as aggregate events (one aggregate per campaign and per contact,
re-delivered ids skipped as the ledger skips them) and replays them, printing
`metric<TAB>events-per-second` lines like the other parts of tools/bench.sh:

  peer_save_bulk_eps    every event, saved in transactions of 10 k events (app.save of the
                        aggregates touched by 10 k trace lines)
  peer_save_single_eps  the first --single events, one app.save (one transaction) per event
  peer_replay_eps       every stored event read back in order and mapped to a domain event

Usage: python peer_eventsourcing.py TRACE.jsonl WORKDIR [--single N]
"""

import json
import os
import shutil
import sys
import time

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Campaign(Aggregate):
    @event("Created")
    def __init__(self, campaign: str, channel: str, at: str) -> None:
        self.campaign = campaign
        self.channel = channel
        self.phase = "created"

    @event("Changed")
    def change(self, type: str, at: str) -> None:
        self.phase = type


class Contact(Aggregate):
    @event("Added")
    def __init__(self, campaign: str, contact: str, at: str, address: str) -> None:
        self.campaign = campaign
        self.contact = contact
        self.address = address
        self.status = "initial"

    @event("Reported")
    def report(self, type: str, status: str, at: str, attempt: int, code: str, provider_ref: str) -> None:
        self.status = status


class Campaigns(Application):
    pass


def load(trace):
    """The trace as small tuples, re-delivered ids dropped (parsing is not timed)."""
    seen = set()
    out = []
    with open(trace, encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            i = e.get("id")
            if i is not None:
                if i in seen:
                    continue
                seen.add(i)
            out.append((e["type"], e["campaign"], e.get("contact"), e["at"], e.get("status"),
                        e.get("channel"), e.get("address"), e.get("attempt"), e.get("code"),
                        e.get("providerRef")))
    return out


def apply(app, aggregates, item):
    """Turns one trace event into an aggregate event; returns the aggregate to save."""
    type_, campaign, contact, at, status, channel, address, attempt, code, ref = item
    if type_ == "campaign.created":
        agg = Campaign(campaign, channel, at)
        aggregates[campaign] = agg
    elif type_.startswith("campaign."):
        agg = aggregates[campaign]
        agg.change(type_, at)
    elif type_ == "contact.added":
        agg = Contact(campaign, contact, at, address or "")
        aggregates[(campaign, contact)] = agg
    else:
        agg = aggregates[(campaign, contact)]
        agg.report(type_, status or "removed", at, attempt or 0, code, ref)
    return agg


def new_app(path):
    if os.path.exists(path):
        os.remove(path)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    return Campaigns(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path})


def main():
    args = sys.argv[1:]
    single = 2000
    if "--single" in args:
        k = args.index("--single")
        single = int(args[k + 1])
        del args[k:k + 2]
    trace, work = args
    os.makedirs(work, exist_ok=True)
    items = load(trace)

    app = new_app(os.path.join(work, "bulk.sqlite"))
    aggregates = {}
    start = time.perf_counter()
    for i in range(0, len(items), 10_000):
        touched = {}
        for item in items[i:i + 10_000]:
            agg = apply(app, aggregates, item)
            touched[id(agg)] = agg
        app.save(*touched.values())
    print(f"peer_save_bulk_eps\t{len(items) / (time.perf_counter() - start)}")

    start = time.perf_counter()
    replayed = 0
    position = 1
    while True:
        notifications = app.recorder.select_notifications(position, 10_000)
        if not notifications:
            break
        for n in notifications:
            app.mapper.to_domain_event(n)
        replayed += len(notifications)
        position = notifications[-1].id + 1
    print(f"peer_replay_eps\t{replayed / (time.perf_counter() - start)}")
    if replayed != len(items):
        sys.exit(f"peer: replayed {replayed} of {len(items)} events")
    app.close()

    app = new_app(os.path.join(work, "single.sqlite"))
    aggregates = {}
    count = min(single, len(items))
    start = time.perf_counter()
    for item in items[:count]:
        app.save(apply(app, aggregates, item))
    print(f"peer_save_single_eps\t{count / (time.perf_counter() - start)}")
    app.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
