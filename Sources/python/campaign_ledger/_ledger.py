"""ctypes bindings of campaign_ledger.h and the Ledger class over them."""

from __future__ import annotations

import ctypes
import datetime as _dt
import json
import os
import threading
from typing import Any, Iterable, Optional, Union

# --- Errors: one class per status of campaign_ledger.h (the `ledger` command's exit codes).


class LedgerError(Exception):
    """A failed call: `message` is the ledger's one line, `status` the C status code (the
    `ledger` command's exit status for this class of failure), `kind` its name."""

    status = -1
    kind = "error"

    def __init__(self, message: str, status: Optional[int] = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class CheckFailed(LedgerError):
    """verify found a problem, or a rebuild's fingerprint differs (status 1)."""

    status, kind = 1, "check_failed"


class NotFound(LedgerError):
    """No such campaign, contact, store, file or provider section (status 2)."""

    status, kind = 2, "not_found"


class UsageError(LedgerError):
    """A wrong call: bad option, time, limit or state (status 64)."""

    status, kind = 64, "usage"


class BadInput(LedgerError):
    """An event or line breaks the rules; nothing was appended (status 65)."""

    status, kind = 65, "bad_input"


class Busy(LedgerError):
    """The store is busy (another rebuild), full, read-only or of a newer format (status 69)."""

    status, kind = 69, "unavailable"


class InternalError(LedgerError):
    """A damaged store or a bug (status 70)."""

    status, kind = 70, "internal"


class Conflict(LedgerError):
    """An expected stream version did not match: read again and retry (status 75)."""

    status, kind = 75, "conflict"


class Unauthenticated(LedgerError):
    """A provider callback's signature or token is wrong (status 77)."""

    status, kind = 77, "unauthenticated"


_ERRORS = {cls.status: cls for cls in (CheckFailed, NotFound, UsageError, BadInput, Busy, InternalError, Conflict, Unauthenticated)}

# --- The library.

_LIBRARY_NAME = "libCampaignLedgerC.so"


def library_path() -> str:
    """The shared library loaded: $CAMPAIGN_LEDGER_LIBRARY, else the one installed with this
    package (campaign_ledger/lib/)."""
    override = os.environ.get("CAMPAIGN_LEDGER_LIBRARY")
    if override:
        return override
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib", _LIBRARY_NAME)


_lib = None
_lib_lock = threading.Lock()

_c = ctypes.c_char_p
_out = ctypes.POINTER(ctypes.c_void_p)
_SIGNATURES = {
    "ledger_version": (ctypes.c_char_p, []),
    "ledger_free": (None, [ctypes.c_void_p]),
    "ledger_errmsg": (ctypes.c_void_p, [ctypes.c_void_p]),
    "ledger_open": (ctypes.c_int, [_c, _c, ctypes.POINTER(ctypes.c_void_p)]),
    "ledger_close": (ctypes.c_int, [ctypes.c_void_p]),
    "ledger_append": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, _out]),
    "ledger_import_file": (ctypes.c_int, [ctypes.c_void_p, _c, _c, _out]),
    "ledger_campaign": (ctypes.c_int, [ctypes.c_void_p, _c, _c, _c, _out]),
    "ledger_campaigns": (ctypes.c_int, [ctypes.c_void_p, _c, _c, _out]),
    "ledger_contact": (ctypes.c_int, [ctypes.c_void_p, _c, _c, _c, _c, _out]),
    "ledger_contacts": (ctypes.c_int, [ctypes.c_void_p, _c, _c, ctypes.c_int64, _c, _c, _c, _out]),
    "ledger_metrics": (ctypes.c_int, [ctypes.c_void_p, _c, _c, _c, _out]),
    "ledger_history": (ctypes.c_int, [ctypes.c_void_p, _c, _c, _c, _c, _out]),
    "ledger_head": (ctypes.c_int, [ctypes.c_void_p, _c, _c, _out]),
    "ledger_events": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_int64, _c, _c, _out]),
    "ledger_verify": (ctypes.c_int, [ctypes.c_void_p, _out]),
    "ledger_rebuild": (ctypes.c_int, [ctypes.c_void_p, _c, _out]),
    "ledger_forget": (ctypes.c_int, [ctypes.c_void_p, _c, _out]),
    "ledger_callback": (
        ctypes.c_int,
        [ctypes.c_void_p, _c, _c, ctypes.c_char_p, ctypes.c_size_t, _c, _c, ctypes.c_int, _out],
    ),
}


def _library() -> ctypes.CDLL:
    global _lib
    with _lib_lock:
        if _lib is None:
            lib = ctypes.CDLL(library_path())
            for name, (restype, argtypes) in _SIGNATURES.items():
                function = getattr(lib, name)
                function.restype = restype
                function.argtypes = argtypes
            _lib = lib
        return _lib


def version() -> str:
    """The library's version."""
    return _library().ledger_version().decode()


def _text(value: Optional[str]) -> Optional[bytes]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected a str, got {type(value).__name__}")
    return value.encode("utf-8", "surrogatepass")


def _time(value: Union[None, str, _dt.datetime]) -> Optional[bytes]:
    """An RFC 3339 time: a str as given, or an aware datetime."""
    if value is None or isinstance(value, str):
        return _text(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            raise ValueError("give an aware datetime (with tzinfo), e.g. datetime.now(timezone.utc)")
        return value.isoformat().replace("+00:00", "Z").encode()
    raise TypeError("a time is an RFC 3339 str or an aware datetime")


def _error(lib: ctypes.CDLL, handle: Optional[int], status: int) -> LedgerError:
    pointer = lib.ledger_errmsg(handle)
    message = "unknown error"
    if pointer:
        message = ctypes.string_at(pointer).decode("utf-8", "replace")
        lib.ledger_free(pointer)
    return _ERRORS.get(status, LedgerError)(message, status)


_Events = Union[str, bytes, Iterable[dict]]


class Ledger:
    """A ledger store, opened in this process. Safe to share across threads; open one per store
    per process. Use it as a context manager, or call close()."""

    def __init__(self, path: Union[str, os.PathLike], *, create: bool = True, catch_up: bool = True,
                 map_size: Optional[int] = None, log_level: Optional[str] = None):
        self._lib = _library()
        options: dict[str, Any] = {"create": create, "catchUp": catch_up}
        if map_size is not None:
            options["mapSize"] = map_size
        if log_level is not None:
            options["logLevel"] = log_level
        handle = ctypes.c_void_p()
        status = self._lib.ledger_open(_text(os.fspath(path)), json.dumps(options).encode(), ctypes.byref(handle))
        if status != 0:
            raise _error(self._lib, None, status)
        self._handle: Optional[int] = handle.value
        self.path = os.fspath(path)

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def close(self) -> None:
        """Closes the store (calls still running on other threads finish first)."""
        handle, self._handle = getattr(self, "_handle", None), None
        if handle:
            self._lib.ledger_close(handle)

    def _call(self, name: str, *args: Any) -> Any:
        handle = self._handle
        if handle is None:
            raise UsageError("the ledger is closed")
        out = ctypes.c_void_p()
        status = getattr(self._lib, name)(handle, *args, ctypes.byref(out))
        if out.value:
            try:
                answer = json.loads(ctypes.string_at(out.value))
            finally:
                self._lib.ledger_free(out.value)
        else:
            answer = None
        if status == 0:
            return answer
        error = _error(self._lib, handle, status)
        if answer is not None:
            error.answer = answer
        raise error

    # --- Appending

    def append(self, events: _Events, expect: Optional[list[dict]] = None) -> list[dict]:
        """Appends a batch atomically: a list of event dicts, or JSON Lines (str or bytes).
        Returns one {"outcome", "position", "id"} per event. `expect`: optimistic concurrency,
        [{"campaign", "contact" (optional), "version"}]; a mismatch raises Conflict."""
        if isinstance(events, (str, bytes)):
            if expect is not None:
                raise TypeError("expect needs the events as a list")
            data = events.encode("utf-8", "surrogatepass") if isinstance(events, str) else events
        else:
            events = list(events)
            document: Any = events if expect is None else {"events": events, "expect": expect}
            data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
        return self._call("ledger_append", data, len(data))["outcomes"]

    def import_file(self, path: Union[str, os.PathLike], *, dry_run: bool = False, skip_invalid: bool = False,
                    restore: bool = False) -> dict:
        """`ledger import FILE`: all or nothing unless skip_invalid. Returns the summary."""
        options = json.dumps({"dryRun": dry_run, "skipInvalid": skip_invalid, "restore": restore}).encode()
        return self._call("ledger_import_file", _text(os.fspath(path)), options)

    # --- Queries (each takes as_of= or occurred_before=: an RFC 3339 str or an aware datetime)

    def campaign(self, campaign: str, *, as_of=None, occurred_before=None) -> dict:
        return self._call("ledger_campaign", _text(campaign), _time(as_of), _time(occurred_before))

    def campaigns(self, *, as_of=None, occurred_before=None) -> list[dict]:
        return self._call("ledger_campaigns", _time(as_of), _time(occurred_before))

    def contact(self, campaign: str, contact: str, *, as_of=None, occurred_before=None) -> dict:
        return self._call("ledger_contact", _text(campaign), _text(contact), _time(as_of), _time(occurred_before))

    def contacts(self, campaign: str, state: Optional[str] = None, limit: Optional[int] = None,
                 after: Optional[str] = None, *, as_of=None, occurred_before=None) -> list[dict]:
        if limit is not None and limit < 1:
            raise UsageError("limit must be at least 1")
        return self._call("ledger_contacts", _text(campaign), _text(state), limit or 0, _text(after),
                          _time(as_of), _time(occurred_before))

    def metrics(self, campaign: Optional[str] = None, *, as_of=None, occurred_before=None) -> dict:
        return self._call("ledger_metrics", _text(campaign), _time(as_of), _time(occurred_before))

    def history(self, campaign: str, contact: Optional[str] = None, *, as_of=None, occurred_before=None) -> list[dict]:
        return self._call("ledger_history", _text(campaign), _text(contact), _time(as_of), _time(occurred_before))

    def head(self, *, as_of=None, occurred_before=None) -> dict:
        return self._call("ledger_head", _time(as_of), _time(occurred_before))

    def events(self, after: int = 0, limit: int = 10000, *, as_of=None, occurred_before=None) -> list[dict]:
        if not 0 <= after < 2**64:
            raise UsageError("after is a position, 0 or more")
        return self._call("ledger_events", after, limit, _time(as_of), _time(occurred_before))

    # --- Maintenance

    def verify(self) -> dict:
        """`ledger verify`: the report; raises CheckFailed (with .answer = the report) when the
        check found a problem."""
        return self._call("ledger_verify")

    def rebuild(self, *, activate: bool = True, verify: bool = False, threads: Optional[int] = None) -> dict:
        options: dict[str, Any] = {"activate": activate, "verify": verify}
        if threads is not None:
            options["threads"] = threads
        return self._call("ledger_rebuild", json.dumps(options).encode())

    # --- Erasure (docs/erasure.md)

    def forget(self, campaign: Optional[str] = None, contact: Optional[str] = None, *,
               address: Optional[str] = None, reason: str, actor: Optional[str] = None) -> dict:
        """`ledger forget`: erases the address of one contact (`campaign` and `contact`), or of
        every contact whose address is `address` (spaces, `-`, `(`, `)` and `.` ignored). Appends
        a contact.forgotten carrying `reason` (required) and `actor`; the chain still verifies.

        Returns {"forgotten": [{"campaign", "contact", "position", "addedPosition"}],
        "alreadyForgotten": [{"campaign", "contact"}], "parkedCallbacksDropped",
        "stillInLog": [positions whose chain-covered fields still hold the address]}. A contact
        forgotten before comes back in alreadyForgotten; an address no contact has gives an
        empty result. Raises NotFound for an unknown contact; UsageError for an empty (or None)
        reason, or unless exactly one of (campaign and contact) and address is given. The old
        bytes stay in the store file until `ledger compact`, run with the store closed."""
        request: dict[str, str] = {}
        for name, value in (("campaign", campaign), ("contact", contact), ("address", address), ("reason", reason),
                            ("actor", actor)):
            if value is not None:
                if not isinstance(value, str):
                    raise TypeError(f"{name}: expected a str, got {type(value).__name__}")
                request[name] = value
        return self._call("ledger_forget", json.dumps(request, ensure_ascii=False).encode("utf-8", "surrogatepass"))

    # --- Provider callbacks

    def callback(self, provider: str, body: Union[bytes, str], *, headers: Union[None, dict, list] = None,
                 url: Optional[str] = None, settings: Optional[dict] = None,
                 unauthenticated: bool = False) -> list[dict]:
        """A provider's webhook (docs/callbacks.md): its signature is checked against
        `settings` (the providers file's JSON), unless `unauthenticated` (a trusted capture).
        Returns the outcome of each status: appended, duplicate or parked."""
        data = body.encode() if isinstance(body, str) else bytes(body)
        return self._call(
            "ledger_callback", _text(provider),
            None if headers is None else json.dumps(headers if isinstance(headers, dict) else [list(p) for p in headers]).encode(),
            data, len(data), _text(url), None if settings is None else json.dumps(settings).encode(),
            1 if unauthenticated else 0,
        )["outcomes"]
