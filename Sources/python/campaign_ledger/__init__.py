"""The campaign ledger in a Python process, through its C library (ctypes, no server).

    from campaign_ledger import Ledger

    with Ledger("/var/lib/campaigns") as ledger:
        ledger.append([{"type": "campaign.created", "campaign": "spring",
                        "at": "2026-11-20T09:00:00Z", "channel": "sms"}])
        print(ledger.campaign("spring")["status"])

Answers are the JSON documents of `ledger … --json` (docs/cli.md), decoded. A failed call
raises a LedgerError subclass carrying the ledger's one-line message and the `ledger` command's
exit status for that class of failure. See docs/embedding.md.
"""

from ._ledger import (
    BadInput,
    Busy,
    CheckFailed,
    Conflict,
    InternalError,
    Ledger,
    LedgerError,
    NotFound,
    Unauthenticated,
    UsageError,
    library_path,
    version,
)

__all__ = [
    "BadInput",
    "Busy",
    "CheckFailed",
    "Conflict",
    "InternalError",
    "Ledger",
    "LedgerError",
    "NotFound",
    "Unauthenticated",
    "UsageError",
    "library_path",
    "version",
]
