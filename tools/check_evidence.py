#!/usr/bin/env python3
"""Check one campaign's evidence file against a published checkpoint.

    ledger export --campaign C --evidence --output C-evidence.jsonl
    python3 tools/check_evidence.py C-evidence.jsonl POSITION:HASH

The evidence file (docs/audit.md) holds, in position order:
  - first, {"position": f-1, "hash": "..."}: the chain hash just before the campaign's first
    event f (64 zeros when f = 1);
  - the campaign's events as export lines (interchange.md §1);
  - {"position": n, "digest": "..."} for every other position up to the ledger's head.

For each of the campaign's events the script recomputes digest(n) = SHA-256(canonical bytes),
where the canonical bytes are the export line without `hash`, with `address`, `addressSalt` and
`addressProblem` left out (`addressDigest` stands in for the address), checks that
`addressDigest` is SHA-256(salt || address) where the address is still there (an erased one,
docs/erasure.md, keeps only its digest), and checks the event's own `hash`. It takes the given digests of the
other positions, chains hash(n) = SHA-256(hash(n-1) || digest(n)) up to the checkpoint position
and compares with the checkpoint hash (docs/format.md "Hash chain"). Standard library only.

Exit status: 0 the campaign's events up to the checkpoint are those the checkpoint commits to;
1 a check failed (the message says which position); 64 wrong usage or an unreadable file.
"""
import hashlib
import json
import sys

DROPPED = ("address", "addressSalt", "addressProblem", "hash")


def members(line):
    """The top-level members of a compact JSON object as (key, raw value text, value), in order.
    The raw text is kept so `meta` and every string are hashed exactly as written."""
    decoder = json.JSONDecoder()
    if not line.startswith("{"):
        raise ValueError("not a JSON object")
    out, i = [], 1
    while line[i] != "}":
        key, j = decoder.raw_decode(line, i)
        if line[j] != ":":
            raise ValueError(f"expected ':' at column {j + 1}")
        value, k = decoder.raw_decode(line, j + 1)
        out.append((key, line[j + 1:k], value))
        i = k + 1 if line[k] == "," else k
    return out


def canonical(fields):
    """Canonical bytes: the export line's members without address, addressSalt and hash."""
    return ("{" + ",".join(f"{json.dumps(k)}:{raw}" for k, raw, _ in fields if k not in DROPPED)
            + "}").encode("utf-8")


def main(argv):
    if len(argv) != 3 or ":" not in argv[2]:
        print("usage: check_evidence.py EVIDENCE.jsonl POSITION:HASH", file=sys.stderr)
        return 64
    position_text, _, checkpoint_hex = argv[2].partition(":")
    try:
        checkpoint_position = int(position_text)
        checkpoint = bytes.fromhex(checkpoint_hex)
        with open(argv[1], encoding="utf-8") as f:
            lines = [line.rstrip("\r\n") for line in f if line.strip()]
    except (ValueError, OSError) as e:
        print(f"check_evidence: {e}", file=sys.stderr)
        return 64

    def fail(message):
        print(f"FAIL {message}")
        return 1

    chain = None      # hash(n) of the last position chained
    chained = None    # that position n
    campaign, covered = None, 0
    for number, line in enumerate(lines, 1):
        try:
            fields = members(line)
        except ValueError as e:
            return fail(f"line {number}: not a compact JSON object ({e})")
        obj = {k: v for k, _, v in fields}
        position = obj.get("position")
        if not isinstance(position, int):
            return fail(f"line {number}: no position")
        if chain is None:
            if set(obj) != {"position", "hash"}:
                return fail("line 1 must be the chain hash before the campaign's first event")
            chain, chained = bytes.fromhex(obj["hash"]), position
            if checkpoint_position <= position:
                return fail(f"the checkpoint (position {checkpoint_position}) is older than the campaign's "
                            f"first event (position {position + 1}): it covers none of it; use a later checkpoint")
            continue
        if position != chained + 1:
            return fail(f"line {number}: position {position} follows {chained}; the evidence has a gap")
        if position > checkpoint_position:
            break
        if "type" in obj:
            if campaign is None:
                campaign = obj["campaign"]
            elif obj["campaign"] != campaign:
                return fail(f"position {position}: an event of campaign {obj['campaign']!r} in {campaign!r}'s evidence")
            if "address" in obj and "addressSalt" in obj:
                salted = bytes.fromhex(obj["addressSalt"]) + obj["address"].encode("utf-8")
                if hashlib.sha256(salted).hexdigest() != obj.get("addressDigest"):
                    return fail(f"position {position}: the address does not match its addressDigest")
            digest = hashlib.sha256(canonical(fields)).digest()
        elif "digest" in obj:
            digest = bytes.fromhex(obj["digest"])
        else:
            return fail(f"line {number}: neither an event nor a digest")
        chain = hashlib.sha256(chain + digest).digest()
        chained = position
        if "type" in obj:
            if obj.get("hash") != chain.hex():
                return fail(f"position {position}: the event's hash does not follow from the chain; its content was changed")
            covered += 1

    if chained is None or chained < checkpoint_position:
        return fail(f"the evidence ends at position {chained}, before the checkpoint position {checkpoint_position}")
    if chain != checkpoint:
        return fail(f"the chain at position {checkpoint_position} is {chain.hex()}, not the checkpoint {checkpoint.hex()}")
    later = sum(1 for line in lines[1:] if '"type"' in line) - covered
    print(f"ok: {covered} events of campaign {campaign!r} check against checkpoint {checkpoint_position}"
          + (f" ({later} later events are not covered by it)" if later else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
