/*
 * campaign_ledger.h: the campaign ledger embedded in any language, through C.
 *
 * Link with libCampaignLedgerC.so (tools/build_clib.sh builds a directory with the library, the
 * libraries it needs and this header; docs/embedding.md shows C, Python and Node examples).
 *
 * Conventions
 * - Every function but ledger_version, ledger_free and ledger_errmsg returns a status code
 *   (enum ledger_status). 0 is success.
 * - Answers are JSON documents, the same the `ledger` command prints with --json and
 *   `ledger serve` answers (docs/cli.md, docs/server.md): a NUL-terminated UTF-8 string stored
 *   in *out, which the caller frees with ledger_free. On failure *out is NULL, except that a
 *   check that found a problem (LEDGER_CHECK_FAILED) still returns its report.
 * - A failed call keeps a one-line message (what, where, what to do): ledger_errmsg(handle)
 *   returns it. Messages are kept per handle and per calling thread, so threads sharing a handle
 *   read their own.
 * - Text arguments are NUL-terminated UTF-8. Optional ones may be NULL. as_of and
 *   occurred_before are RFC 3339 times (at most one of the two): as_of answers from the events
 *   recorded at or before then, occurred_before from the events whose `at` is before then.
 * - A handle is safe to share across threads. Open one handle per store per process. A closed,
 *   NULL or foreign handle is refused with LEDGER_USAGE; bad arguments, text that is not UTF-8
 *   and bad JSON are refused with a status, never a crash.
 */
#ifndef CAMPAIGN_LEDGER_H
#define CAMPAIGN_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The `ledger` command's exit statuses (docs/cli.md), plus a version conflict and a callback
   whose signature fails, which the command reports as 65. */
enum ledger_status {
    LEDGER_OK = 0,
    LEDGER_CHECK_FAILED = 1,     /* verify found a problem; a rebuild's fingerprint differs */
    LEDGER_NOT_FOUND = 2,        /* no such campaign, contact, store, file or provider section */
    LEDGER_USAGE = 64,           /* a wrong call: NULL handle, bad option, bad time, bad limit */
    LEDGER_BAD_INPUT = 65,       /* an event or a line breaks the rules; nothing was appended */
    LEDGER_UNAVAILABLE = 69,     /* busy (another rebuild), full, read-only, or a newer format */
    LEDGER_INTERNAL = 70,        /* a damaged store or a bug */
    LEDGER_CONFLICT = 75,        /* an expected stream version did not match: read and retry */
    LEDGER_UNAUTHENTICATED = 77  /* a provider callback's signature or token is wrong */
};

typedef struct ledger ledger_t;

/* The library's version, e.g. "0.1.0" (static; do not free). */
const char *ledger_version(void);

/* Frees a string this library returned. NULL is ignored. */
void ledger_free(void *p);

/* The message of the last failed call on this handle by this thread, or NULL. With a NULL
   handle: the last failure of this thread that had no handle (ledger_open). Free it with
   ledger_free. */
char *ledger_errmsg(ledger_t *ledger);

/* Opens (by default creates) the ledger in directory `path`. options: NULL or a JSON object:
   "create" (default true), "catchUp" (default true; false for a process that only reads),
   "mapSize" (bytes), "logLevel" ("trace" … "critical", to standard error; default: silent). */
int ledger_open(const char *path, const char *options, ledger_t **out);

/* Closes the handle. Calls already running on other threads finish first. */
int ledger_close(ledger_t *ledger);

/* Appends a batch atomically: all events or none. data: a JSON array of events,
   {"events": [...], "expect": [{"campaign", "contact", "version"}]}, or JSON Lines
   (docs/cli.md's event format). *out: {"outcomes": [{"outcome": "appended"|"duplicate",
   "position": N, "id": "..."}, ...]}. A bad event fails with LEDGER_BAD_INPUT and a message
   naming its line (JSON Lines) or its index (array, 1-based) and field. */
int ledger_append(ledger_t *ledger, const void *data, size_t length, char **out);

/* `ledger import FILE`: all or nothing by default. options: NULL or {"dryRun", "skipInvalid",
   "restore", "batchSize"}. *out: {"file", "lines", "appended", "duplicates", "rejected",
   "dryRun", "seconds", "eventsPerSecond", "rejects": [{"line", "error"}]}. */
int ledger_import_file(ledger_t *ledger, const char *path, const char *options, char **out);

/* Queries (`ledger campaign show`, `campaign list`, `contact show`, `contact list`, `metrics`,
   `history`): the documents of docs/cli.md. */
int ledger_campaign(ledger_t *ledger, const char *campaign, const char *as_of,
                    const char *occurred_before, char **out);
int ledger_campaigns(ledger_t *ledger, const char *as_of, const char *occurred_before, char **out);
int ledger_contact(ledger_t *ledger, const char *campaign, const char *contact, const char *as_of,
                   const char *occurred_before, char **out);
/* state: NULL or a state id; limit: 0 for all; after: NULL or the contact id to page after. */
int ledger_contacts(ledger_t *ledger, const char *campaign, const char *state, int64_t limit,
                    const char *after, const char *as_of, const char *occurred_before, char **out);
/* campaign: NULL for the totals per channel. */
int ledger_metrics(ledger_t *ledger, const char *campaign, const char *as_of,
                   const char *occurred_before, char **out);
/* contact: NULL for the whole campaign. A filter keeps the entries recorded (as_of) or
   happened (occurred_before) by then. */
int ledger_history(ledger_t *ledger, const char *campaign, const char *contact, const char *as_of,
                   const char *occurred_before, char **out);
/* {"position", "hash", "recordedAt"}; with as_of, the last event recorded by then. */
int ledger_head(ledger_t *ledger, const char *as_of, const char *occurred_before, char **out);
/* Up to `limit` (1 to 10000) events after position `after`, as exported: a JSON array. */
int ledger_events(ledger_t *ledger, uint64_t after, int64_t limit, const char *as_of,
                  const char *occurred_before, char **out);

/* `ledger verify`: the report ({"ok", "head", "eventsChecked", "problems", ...});
   LEDGER_CHECK_FAILED, with the report, when it found a problem. */
int ledger_verify(ledger_t *ledger, char **out);

/* `ledger rebuild`. options: NULL or {"activate" (default true), "verify", "threads"}. */
int ledger_rebuild(ledger_t *ledger, const char *options, char **out);

/* `ledger forget` (docs/erasure.md): erases a contact's address; the chain still verifies.
   request: the JSON object `POST /v1/forget` takes, {"campaign", "contact", "reason",
   "actor"?} or {"address", "reason", "actor"?} (every value a string; reason required).
   *out: {"forgotten": [{"campaign", "contact", "position", "addedPosition"}],
   "alreadyForgotten": [{"campaign", "contact"}], "parkedCallbacksDropped", "stillInLog": [N]}.
   A contact forgotten before comes back in alreadyForgotten, nothing appended; an address no
   contact has is LEDGER_OK with nothing forgotten. An unknown contact is LEDGER_NOT_FOUND; a
   bad request (not a JSON object, an unknown field, no reason) LEDGER_USAGE. The old bytes stay
   in the store file's free pages until `ledger compact`, run with every handle closed. */
int ledger_forget(ledger_t *ledger, const char *request, char **out);

/* A provider's webhook, as `POST /v1/callbacks/{provider}` takes it (docs/callbacks.md).
   provider: "meta", "twilio", "infobip" or "vonage". headers: NULL, a JSON object
   {"Name": "value"} or an array [["Name", "value"], ...]. url: the URL the provider called
   (Twilio signs it; NULL for "/v1/callbacks/PROVIDER"). settings: the providers file's JSON
   (`ledger serve --providers`) whose secrets check the signature; with unauthenticated != 0 the
   signature is not checked (a trusted capture, as `ledger callbacks import`) and settings may
   be NULL. *out: {"outcomes": [{"outcome": "appended"|"duplicate"|"parked", ...}]}. */
int ledger_callback(ledger_t *ledger, const char *provider, const char *headers, const void *body,
                    size_t length, const char *url, const char *settings, int unauthenticated,
                    char **out);

#ifdef __cplusplus
}
#endif

#endif
