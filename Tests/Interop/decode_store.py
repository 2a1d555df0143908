#!/usr/bin/env python3
"""Decode a ledger store with Python's `lmdb` package from docs/format.md alone, and compare it
with what the `ledger` binary says about the same store.

    decode_store.py LEDGER_BINARY SCRATCH_DIR

Makes a store with `ledger demo` in SCRATCH_DIR (which must exist and be empty), then:
  - decodes every record of `events` (docs/format.md "Event record");
  - recomputes every canonical form and the hash chain from the decoded records ("Hash chain"),
    checks each record's stored hash, and the head in `meta` and of `ledger verify --json`;
  - compares every decoded event with the line `ledger export` wrote for its position (split
    on "\\n" only), field by field;
  - checks `ids` (every event has an id, found under its digest) and the campaign and contact
    position lists (every event in its streams), and the `builds` records (the active build is
    ready; a build made inline has `completed` 0);
  - after `ledger callbacks import` of Meta webhooks (one tied by correlation data, one for a
    message id nobody recorded, one whose id is too long to record), decodes the active build's
    `b<N>.refs` (every providerRef → the contact and attempt of the first event recording it,
    from the export) and the `parked` table (keys and JSON against `ledger callbacks parked`).

Exit status: 0 everything matches; 1 a mismatch (printed); 2 the `lmdb` package is missing.
The Swift test CLIInteropTests runs this with a venv's python that has `lmdb`.
"""
import datetime
import hashlib
import json
import struct
import subprocess
import sys

try:
    import lmdb
except ImportError:
    print("the lmdb package is not installed (pip install lmdb)", file=sys.stderr)
    sys.exit(2)

# docs/format.md, "Event record".
TYPES = [None, "campaign.created", "campaign.started", "campaign.paused", "campaign.resumed",
         "campaign.finished", "campaign.canceled", "contact.added", "contact.removed",
         "contact.status", "contact.forgotten"]
STATES = [None, "initial", "canceled_by_admin", "blacklisted", "removed", "invalid_record",
          "queued", "retry_scheduled", "in_progress", "sent", "successfully_submitted", "error",
          "failed", "delivery_failed", "sending_failed", "invalid_contact", "blocked_or_spam",
          "delivered", "read", "responded", "awaiting_operator", "operator_assigned", "bcw",
          "calling", "call_in_progress", "acw", "dial_failed", "canceled_by_client",
          "unreachable", "rejected_by_operator", "success"]
CHANNELS = [None, "whatsapp", "sms", "telephone"]
OPTIONAL = ["id", "contact", "channel", "name", "address", "status", "attempt", "code",
            "reason", "providerRef", "actor", "meta", "addressSalt"]
# docs/format.md, "Hash chain": the canonical member order.
CANONICAL_ORDER = ["type", "campaign", "at", "id", "contact", "channel", "name", "addressDigest",
                   "status", "attempt", "code", "reason", "providerRef", "actor", "meta"]

failures = []


def fail(message):
    failures.append(message)
    if len(failures) <= 20:
        print("MISMATCH " + message)


def decode_event(b):
    version, type_code, position, recorded_us = struct.unpack_from(">BBQq", b, 0)
    if version not in (1, 2):
        raise ValueError(f"record format {version}")
    stored_hash = b[18:50]
    at_ns, presence = struct.unpack_from(">qH", b, 50)
    if version == 1 and presence >> 13:
        raise ValueError("unknown presence bits")
    erased = version == 2 and presence >> 15 & 1  # an erased address (docs/format.md)
    id_form = presence >> 13 & 3 if version == 2 else 0
    if id_form == 3:
        raise ValueError("unknown id form")
    i = 60

    def varint():
        nonlocal i
        value, shift = 0, 0
        while True:
            byte = b[i]
            i += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    def length():
        # Version 1: u32 big-endian; version 2: varint (docs/format.md, "Event record").
        nonlocal i
        if version == 2:
            return varint()
        (n,) = struct.unpack_from(">I", b, i)
        i += 4
        return n

    def string():
        nonlocal i
        n = length()
        s = b[i:i + n].decode("utf-8")
        i += n
        return s

    ev = {"type": TYPES[type_code], "campaign": string(), "at": string()}
    for bit, name in enumerate(OPTIONAL):
        if not presence >> bit & 1:
            continue
        if name == "channel":
            ev[name] = CHANNELS[b[i]]
            i += 1
        elif name == "status":
            ev[name] = STATES[b[i]]
            i += 1
        elif name == "id" and id_form:
            ev[name] = ("imp-" if id_form == 1 else "ev-") + b[i:i + 16].hex()
            i += 16
        elif name == "attempt" and version == 2:
            ev[name] = varint()
        elif name == "attempt":
            (ev[name],) = struct.unpack_from(">I", b, i)
            i += 4
        elif name == "addressSalt":
            ev[name] = b[i:i + 16]
            i += 16
        else:
            ev[name] = string()
    if erased:
        if ev["type"] != "contact.added" or presence & (1 << 4 | 1 << 12):
            raise ValueError("presence bit 15 on a record that cannot be erased")
        ev["addressDigest"] = b[i:i + 32].hex()
        i += 32
        problem = string()
        if problem:
            ev["addressProblem"] = problem
    if i != len(b):
        raise ValueError("trailing bytes")
    return position, recorded_us, at_ns, stored_hash, ev


def esc(s):
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def recorded_text(micros):
    seconds, fraction = divmod(micros, 1_000_000)
    days, second_of_day = divmod(seconds, 86_400)
    date = datetime.date(1970, 1, 1) + datetime.timedelta(days=days)
    h, rest = divmod(second_of_day, 3600)
    m, s = divmod(rest, 60)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (date.year, date.month, date.day, h, m, s, fraction)


def address_digest(ev):
    return hashlib.sha256(ev.get("addressSalt", b"") + ev["address"].encode("utf-8")).hexdigest()


def canonical(position, recorded_us, ev):
    parts = []
    for k in CANONICAL_ORDER:
        if k == "addressDigest":
            if "address" in ev:
                parts.append(esc(k) + ":" + esc(address_digest(ev)))
            elif "addressDigest" in ev:  # erased: the digest the record keeps
                parts.append(esc(k) + ":" + esc(ev[k]))
            continue
        if k not in ev:
            continue
        v = ev[k]
        if k == "meta":
            text = v
        elif k == "attempt":
            text = str(v)
        else:
            text = esc(v)
        parts.append(esc(k) + ":" + text)
    parts.append('"position":' + str(position))
    parts.append('"recordedAt":' + esc(recorded_text(recorded_us)))
    return ("{" + ",".join(parts) + "}").encode("utf-8")


def meta_text(line):
    """The raw text of `meta` in an export line (it is written as stored, so compare text)."""
    start = line.index('"meta":') + len('"meta":')
    end = line.rindex(',"position":')
    return line[start:end]


def callbacks_import(ledger, store, scratch):
    """Meta webhooks into the demo store: one tied to contact c-0002 of the first campaign by
    correlation data, one for a message id no event records (parked), one whose message id
    (300 bytes) no event could record (parked, key without it)."""
    first_campaign = None
    for line in run(ledger, "export", "--store", store).split(b"\n"):
        if line and json.loads(line)["type"] == "campaign.created":
            first_campaign = json.loads(line)["campaign"]
            break
    def body(message_id, correlation=None):
        status = {"id": message_id, "status": "delivered", "timestamp": "1767604300", "recipient_id": "420601234567"}
        if correlation:
            status["biz_opaque_callback_data"] = correlation
        return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
            {"field": "messages", "value": {"messaging_product": "whatsapp", "statuses": [status]}}]}]})
    path = scratch + "/meta-webhooks.jsonl"
    with open(path, "w") as f:
        f.write(body("wamid.interop-tied", f"{first_campaign}/c-0002") + "\n")
        f.write(body("wamid.interop-waits") + "\n")
        f.write(body("w" * 300) + "\n")
    run(ledger, "callbacks", "import", "--provider", "meta", path, "--store", store)


def forget(ledger, store):
    """Erases the address of contact c-0003 of every campaign that has one (docs/erasure.md),
    so that erased records (presence bit 15) are decoded too; checks that some were."""
    campaigns = [json.loads(line)["campaign"] for line in run(ledger, "export", "--store", store).split(b"\n")
                 if line and json.loads(line)["type"] == "campaign.created"]
    for campaign in campaigns:
        run(ledger, "forget", campaign, "c-0003", "--reason", "interop erasure", "--store", store)


def run(ledger, *args):
    r = subprocess.run([ledger, *args], capture_output=True, timeout=300)
    if r.returncode != 0:
        sys.exit(f"ledger {' '.join(args)} exited {r.returncode}: {r.stderr.decode(errors='replace')}")
    return r.stdout


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 64
    ledger, scratch = argv[1], argv[2]
    store = scratch + "/store"
    run(ledger, "demo", "--store", store, "--campaigns", "3", "--contacts", "25", "--seed", "11")
    callbacks_import(ledger, store, scratch)
    forget(ledger, store)
    export = run(ledger, "export", "--store", store)
    verify = json.loads(run(ledger, "verify", "--json", "--store", store))
    # Split on LF only: U+2028 and friends stay raw inside strings.
    export_lines = [raw.decode("utf-8") for raw in export.split(b"\n") if raw]

    # A live store is read with LMDB's locking on (docs/format.md, "Reading a store with Python").
    env = lmdb.open(store, readonly=True, max_dbs=64)
    events_db = env.open_db(b"events", create=False)
    meta_db = env.open_db(b"meta", create=False)
    # Format 2: the id index and the streams hold sorted duplicates (positions, u64 big-endian).
    ids_db = env.open_db(b"ids", create=False, dupsort=True)
    campaign_positions_db = env.open_db(b"campaign_positions", create=False, dupsort=True)
    contact_positions_db = env.open_db(b"contact_positions", create=False, dupsort=True)
    builds_db = env.open_db(b"builds", create=False)
    parked_db = env.open_db(b"parked", create=False)
    # Every database is opened before the read transaction that decodes them (LMDB: a handle
    # opened later is not valid in an older transaction).
    with env.begin() as txn:
        (answering,) = struct.unpack(">I", txn.get(b"active_build", db=meta_db))
    refs_db = env.open_db(f"b{answering}.refs".encode(), create=False)
    with env.begin() as txn:
        head_position, head_recorded, head_hash = struct.unpack(">Qq32s", txn.get(b"head", db=meta_db))
        (active_build,) = struct.unpack(">I", txn.get(b"active_build", db=meta_db))
        decoded = []
        for key, value in txn.cursor(db=events_db):
            (key_position,) = struct.unpack(">Q", key)
            record = decode_event(bytes(value))
            if record[0] != key_position:
                fail(f"key {key_position} holds position {record[0]}")
            decoded.append(record)
            ev = record[4]
            if "id" not in ev:
                fail(f"position {key_position}: no id stored")
            else:
                digest = hashlib.sha256(ev["id"].encode("utf-8")).digest()[:8]
                cursor = txn.cursor(db=ids_db)
                if not cursor.set_key_dup(digest, struct.pack(">Q", key_position)):
                    fail(f"position {key_position}: ids does not point at it")
            stream = struct.pack("B", len(ev["campaign"].encode("utf-8"))) + ev["campaign"].encode("utf-8")
            if not txn.cursor(db=campaign_positions_db).set_key_dup(stream, struct.pack(">Q", key_position)):
                fail(f"position {key_position}: not in its campaign's campaign_positions")
            if "contact" in ev:
                stream += struct.pack("B", len(ev["contact"].encode("utf-8"))) + ev["contact"].encode("utf-8")
                if not txn.cursor(db=contact_positions_db).set_key_dup(stream, struct.pack(">Q", key_position)):
                    fail(f"position {key_position}: not in its contact's contact_positions")
        refs = {}
        for key, value in txn.cursor(db=refs_db):
            value = bytes(value)
            n = value[0]
            campaign = value[1:1 + n].decode("utf-8")
            m = value[1 + n]
            contact = value[2 + n:2 + n + m].decode("utf-8")
            (attempt,) = struct.unpack(">I", value[2 + n + m:6 + n + m])
            if len(value) != 6 + n + m:
                fail(f"refs entry {bytes(key)!r}: {len(value) - 6 - n - m} bytes left over")
            refs[bytes(key).decode("utf-8")] = (campaign, contact, attempt)
        parked = {}
        for key, value in txn.cursor(db=parked_db):
            key = bytes(key)
            (n,) = struct.unpack(">H", key[:2])
            entry = json.loads(bytes(value).decode("utf-8"))
            message_id = key[2:2 + n].decode("utf-8")
            if key[2 + n:].decode("utf-8") != entry["id"]:
                fail(f"parked key {key!r} does not end with its entry's id {entry['id']}")
            if n and message_id != entry["messageId"]:
                fail(f"parked key names message id {message_id}, its entry {entry['messageId']}")
            if not n and entry["messageId"] is not None and len(entry["messageId"].encode()) <= 256:
                fail(f"parked entry {entry['id']} with a recordable message id has an empty key prefix")
            parked[entry["id"]] = entry
        builds = {}
        for key, value in txn.cursor(db=builds_db):
            (number,) = struct.unpack(">I", key)
            tag, status, version, checkpoint, created, completed, rate = struct.unpack_from(">BBIQqqQ", value, 0)
            builds[number] = (status, version, checkpoint, completed, rate)
    env.close()

    if not any("addressDigest" in d[4] and "address" not in d[4] for d in decoded):
        fail("no erased contact.added was decoded after ledger forget")

    # The hash chain, from the decoded records alone.
    h = bytes(32)
    for position, recorded_us, _, stored_hash, ev in decoded:
        digest = hashlib.sha256(canonical(position, recorded_us, ev)).digest()
        h = hashlib.sha256(h + digest).digest()
        if h != stored_hash:
            fail(f"position {position}: recomputed hash {h.hex()} != stored {stored_hash.hex()}")
    if [d[0] for d in decoded] != list(range(1, len(decoded) + 1)):
        fail("positions are not 1..n without a gap")
    if head_position != len(decoded) or head_hash != h:
        fail(f"meta head {head_position}:{head_hash.hex()} != recomputed {len(decoded)}:{h.hex()}")
    if verify.get("head") != {"position": len(decoded), "hash": h.hex()} or verify.get("ok") is not True:
        fail(f"verify --json head {verify.get('head')} != recomputed {len(decoded)}:{h.hex()}")

    # Every decoded event against its export line.
    if len(export_lines) != len(decoded):
        fail(f"export has {len(export_lines)} lines, the store {len(decoded)} events")
    for (position, recorded_us, _, stored_hash, ev), line in zip(decoded, export_lines):
        exported = json.loads(line)
        expected = {k: v for k, v in ev.items() if k not in ("meta", "addressSalt")}
        if "addressSalt" in ev:
            expected["addressSalt"] = ev["addressSalt"].hex()
            expected["addressDigest"] = address_digest(ev)
        expected["position"] = position
        expected["recordedAt"] = recorded_text(recorded_us)
        expected["hash"] = stored_hash.hex()
        got = {k: v for k, v in exported.items() if k != "meta"}
        if got != expected:
            fail(f"position {position}: export {got} != decoded {expected}")
        if ("meta" in ev) != ("meta" in exported) or ("meta" in ev and meta_text(line) != ev["meta"]):
            fail(f"position {position}: meta differs")

    # The providerRef index: the first event recording each message id, with its attempt.
    first = {}
    for line in export_lines:
        e = json.loads(line)
        if e["type"] == "contact.status" and e.get("providerRef") is not None and e["providerRef"] not in first:
            first[e["providerRef"]] = (e["campaign"], e["contact"], e["attempt"])
    if refs != first:
        missing = sorted(set(first) - set(refs))[:3]
        extra = sorted(set(refs) - set(first))[:3]
        wrong = [k for k in first if k in refs and refs[k] != first[k]][:3]
        fail(f"b{active_build}.refs differs from the export: missing {missing}, extra {extra}, wrong {wrong}")
    if "wamid.interop-tied" not in refs:
        fail("the callback tied by correlation data recorded no providerRef")
    # The parked table, against the command that lists it.
    listed = {e["id"]: e for e in json.loads(run(ledger, "callbacks", "parked", "--json", "--store", store))}
    if parked != listed:
        fail(f"parked table {sorted(parked)} != ledger callbacks parked {sorted(listed)}")
    if sorted(e["messageId"][:20] for e in parked.values()) != sorted(["wamid.interop-waits", "w" * 20]):
        fail(f"parked message ids: {[e['messageId'][:20] for e in parked.values()]}")

    # Builds: the answering build is ready; build 1 was made inline (completed 0, yet ready).
    if builds.get(active_build, (None,))[0] != 1:
        fail(f"active build {active_build} is not ready: {builds.get(active_build)}")
    if 1 in builds and builds[1][0] == 1 and builds[1][3] != 0:
        fail(f"build 1 (inline) has completed {builds[1][3]}")

    if failures:
        print(f"{len(failures)} mismatches", file=sys.stderr)
        return 1
    print(f"ok: {len(decoded)} events decoded, chain recomputed to {h.hex()}, "
          f"export and verify agree; builds {sorted(builds)}, active {active_build}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
