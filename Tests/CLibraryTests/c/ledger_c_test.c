/* The C library from C: appends, every query, erasure, every error path, threads sharing a handle.
   Run by Tests/CLibraryTests (also under valgrind): ledger_c_test STORE_DIR SCRATCH_DIR [MAP_SIZE]
   (MAP_SIZE: the store's mapSize in bytes; valgrind's address space cannot hold the default
   64 GiB map).
   Prints one line per failed check and exits 1 if any failed. */
#include "campaign_ledger.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond, ...)                                  \
    do {                                                  \
        if (!(cond)) {                                    \
            failures++;                                   \
            fprintf(stderr, "FAIL line %d: ", __LINE__);  \
            fprintf(stderr, __VA_ARGS__);                 \
            fprintf(stderr, "\n");                        \
        }                                                 \
    } while (0)

/* Checks a call's status; on success checks that the answer contains `needle` (if given),
   on failure that the handle's message contains it. Frees everything. */
static void expect(ledger_t *h, int status, int want, char *out, const char *needle, int line) {
    char *message = ledger_errmsg(h);
    if (status != want) {
        failures++;
        fprintf(stderr, "FAIL line %d: status %d, want %d (message: %s; out: %s)\n", line, status, want,
                message ? message : "-", out ? out : "-");
    } else if (want == LEDGER_OK || want == LEDGER_CHECK_FAILED) {
        if (out == NULL || (needle && strstr(out, needle) == NULL)) {
            failures++;
            fprintf(stderr, "FAIL line %d: answer %s lacks %s\n", line, out ? out : "(null)", needle);
        }
    } else {
        if (out != NULL) {
            failures++;
            fprintf(stderr, "FAIL line %d: a failed call left an answer\n", line);
        }
        if (message == NULL || (needle && strstr(message, needle) == NULL)) {
            failures++;
            fprintf(stderr, "FAIL line %d: message %s lacks %s\n", line, message ? message : "(null)", needle);
        }
    }
    ledger_free(out);
    ledger_free(message);
}

#define EXPECT(h, call, want, needle)                          \
    do {                                                       \
        char *out = NULL;                                      \
        int status_ = call;                                    \
        expect(h, status_, want, out, needle, __LINE__);       \
    } while (0)

static const char *batch =
    "[{\"type\":\"campaign.created\",\"campaign\":\"spring\",\"at\":\"2026-11-20T09:00:00Z\",\"channel\":\"sms\",\"name\":\"Spring\"},"
    "{\"type\":\"contact.added\",\"campaign\":\"spring\",\"contact\":\"c-1\",\"at\":\"2026-11-20T09:00:01Z\",\"address\":\"+420601234567\"},"
    "{\"type\":\"contact.added\",\"campaign\":\"spring\",\"contact\":\"c-2\",\"at\":\"2026-11-20T09:00:02Z\",\"address\":\"+420601234568\"},"
    "{\"type\":\"campaign.started\",\"campaign\":\"spring\",\"at\":\"2026-11-20T09:01:00Z\"}]";

static const char *lines =
    "{\"type\":\"contact.status\",\"campaign\":\"spring\",\"contact\":\"c-1\",\"at\":\"2026-11-20T09:02:00Z\",\"status\":\"sent\",\"id\":\"s-1\",\"providerRef\":\"SM1\"}\n"
    "\n"
    "{\"type\":\"contact.status\",\"campaign\":\"spring\",\"contact\":\"c-1\",\"at\":\"2026-11-20T09:03:00Z\",\"status\":\"delivered\",\"id\":\"d-1\"}\n";

struct worker {
    ledger_t *h;
    int index;
    int failed;
};

/* Each thread appends its own contacts and reads its own error message. */
static void *work(void *arg) {
    struct worker *w = arg;
    char event[512];
    for (int i = 0; i < 50; i++) {
        snprintf(event, sizeof event,
                 "{\"type\":\"contact.added\",\"campaign\":\"spring\",\"contact\":\"t%d-%d\",\"at\":\"2026-11-20T10:00:00Z\",\"address\":\"+4206000%05d\"}",
                 w->index, i, i);
        char *out = NULL;
        if (ledger_append(w->h, event, strlen(event), &out) != LEDGER_OK) w->failed++;
        ledger_free(out);
    }
    char *out = NULL;
    char campaign[32];
    snprintf(campaign, sizeof campaign, "nope-%d", w->index);
    if (ledger_campaign(w->h, campaign, NULL, NULL, &out) != LEDGER_NOT_FOUND) w->failed++;
    char *message = ledger_errmsg(w->h);
    if (message == NULL || strstr(message, campaign) == NULL) w->failed++;
    ledger_free(message);
    ledger_free(out);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: ledger_c_test STORE_DIR SCRATCH_DIR [MAP_SIZE]\n");
        return 2;
    }
    const char *store = argv[1];
    const char *scratch = argv[2];
    char options[128], reopen[128];
    snprintf(options, sizeof options, "{\"mapSize\": %s}", argc == 4 ? argv[3] : "68719476736");
    snprintf(reopen, sizeof reopen, "{\"catchUp\": false, \"mapSize\": %s}", argc == 4 ? argv[3] : "68719476736");
    char path[4096];

    CHECK(strlen(ledger_version()) > 0, "no version");
    ledger_free(NULL);

    /* Opening. */
    ledger_t *h = NULL;
    snprintf(path, sizeof path, "%s/absent", scratch);
    CHECK(ledger_open(path, "{\"create\": false}", &h) == LEDGER_NOT_FOUND && h == NULL, "open absent");
    char *message = ledger_errmsg(NULL);
    CHECK(message && strstr(message, "no ledger at"), "open message: %s", message ? message : "-");
    ledger_free(message);
    CHECK(ledger_open(NULL, NULL, &h) == LEDGER_USAGE, "open NULL path");
    CHECK(ledger_open(store, NULL, NULL) == LEDGER_USAGE, "open NULL out");
    CHECK(ledger_open(store, "{\"create\": tru", &h) == LEDGER_USAGE, "open bad JSON");
    CHECK(ledger_open(store, "{\"creat\": true}", &h) == LEDGER_USAGE, "open unknown option");
    message = ledger_errmsg(NULL);
    CHECK(message && strstr(message, "creat"), "unknown option message: %s", message ? message : "-");
    ledger_free(message);
    CHECK(ledger_open("\xff\xfe", NULL, &h) == LEDGER_BAD_INPUT, "open non-UTF-8 path");
    CHECK(ledger_open(store, "{\"logLevel\": \"loud\"}", &h) == LEDGER_USAGE, "open bad log level");
    if (ledger_open(store, options, &h) != LEDGER_OK || h == NULL) {
        message = ledger_errmsg(NULL);
        fprintf(stderr, "FAIL: open %s: %s\n", store, message ? message : "-");
        ledger_free(message);
        return 1;
    }

    /* Appending. */
    EXPECT(h, ledger_append(h, batch, strlen(batch), &out), LEDGER_OK, "\"outcome\":\"appended\",\"position\":4");
    EXPECT(h, ledger_append(h, lines, strlen(lines), &out), LEDGER_OK, "{\"outcome\":\"appended\",\"position\":6,\"id\":\"d-1\"}");
    EXPECT(h, ledger_append(h, lines, strlen(lines), &out), LEDGER_OK, "{\"outcome\":\"duplicate\",\"position\":5,\"id\":\"s-1\"}");
    EXPECT(h, ledger_append(h, "", 0, &out), LEDGER_OK, "{\"outcomes\":[]}");
    EXPECT(h, ledger_append(h, NULL, 0, &out), LEDGER_OK, "{\"outcomes\":[]}");
    EXPECT(h, ledger_append(h, NULL, 5, &out), LEDGER_USAGE, "NULL");
    EXPECT(h, ledger_append(h, "[{\"type\":", 9, &out), LEDGER_BAD_INPUT, "not JSON");
    EXPECT(h, ledger_append(h, "[\xff]", 3, &out), LEDGER_BAD_INPUT, "not UTF-8");
    EXPECT(h, ledger_append(h, "[1]", 3, &out), LEDGER_BAD_INPUT, "event 1");
    const char *bad_second =
        "[{\"type\":\"contact.added\",\"campaign\":\"spring\",\"contact\":\"c-8\",\"at\":\"2026-11-20T11:00:00Z\",\"address\":\"+1\"},"
        "{\"type\":\"contact.status\",\"campaign\":\"spring\",\"contact\":\"c-8\",\"at\":\"2026-11-20T11:00:01Z\",\"status\":\"bogus\"}]";
    EXPECT(h, ledger_append(h, bad_second, strlen(bad_second), &out), LEDGER_BAD_INPUT, "event 2: status");
    EXPECT(h, ledger_contact(h, "spring", "c-8", NULL, NULL, &out), LEDGER_NOT_FOUND, "c-8");
    const char *bad_line =
        "{\"type\":\"contact.added\",\"campaign\":\"spring\",\"contact\":\"c-9\",\"at\":\"2026-11-20T11:00:00Z\",\"address\":\"+1\"}\n"
        "{\"type\":\"contact.status\",\"campaign\":\"spring\",\"contact\":\"c-9\",\"at\":\"2026-11-20T11:00:01Z\",\"status\":\"bogus\"}\n";
    EXPECT(h, ledger_append(h, bad_line, strlen(bad_line), &out), LEDGER_BAD_INPUT, "line 2: status");
    const char *unknown_contact =
        "\n{\"type\":\"contact.status\",\"campaign\":\"spring\",\"contact\":\"ghost\",\"at\":\"2026-11-20T11:00:01Z\",\"status\":\"sent\"}";
    EXPECT(h, ledger_append(h, unknown_contact, strlen(unknown_contact), &out), LEDGER_BAD_INPUT, "line 2: ");
    EXPECT(h, ledger_contact(h, "spring", "c-9", NULL, NULL, &out), LEDGER_NOT_FOUND, "c-9");
    const char *conflict =
        "{\"events\":[{\"type\":\"contact.status\",\"campaign\":\"spring\",\"contact\":\"c-2\",\"at\":\"2026-11-20T11:00:01Z\",\"status\":\"sent\"}],"
        "\"expect\":[{\"campaign\":\"spring\",\"contact\":\"c-2\",\"version\":1}]}";
    EXPECT(h, ledger_append(h, conflict, strlen(conflict), &out), LEDGER_CONFLICT, "not the expected 1");
    EXPECT(h, ledger_append(h, "{\"events\":[],\"expect\":7}", 24, &out), LEDGER_BAD_INPUT, "expect");
    EXPECT(h, ledger_append(h, "{\"events\":[],\"other\":1}", 23, &out), LEDGER_BAD_INPUT, "unknown member");

    /* Queries. */
    EXPECT(h, ledger_campaign(h, "spring", NULL, NULL, &out), LEDGER_OK, "\"campaign\":\"spring\",\"channel\":\"sms\"");
    EXPECT(h, ledger_campaign(h, "spring", NULL, "2026-11-20T09:00:30Z", &out), LEDGER_OK, "\"status\":\"queued\"");
    EXPECT(h, ledger_campaign(h, "spring", "2000-01-01T00:00:00Z", NULL, &out), LEDGER_NOT_FOUND, "at that time");
    EXPECT(h, ledger_campaign(h, "autumn", NULL, NULL, &out), LEDGER_NOT_FOUND, "no campaign 'autumn'");
    EXPECT(h, ledger_campaign(h, NULL, NULL, NULL, &out), LEDGER_USAGE, "campaign is NULL");
    EXPECT(h, ledger_campaign(h, "\xc3\x28", NULL, NULL, &out), LEDGER_BAD_INPUT, "not UTF-8");
    EXPECT(h, ledger_campaign(h, "spring", "yesterday", NULL, &out), LEDGER_USAGE, "RFC 3339");
    EXPECT(h, ledger_campaign(h, "spring", "2026-11-20T09:00:30Z", "2026-11-20T09:00:30Z", &out), LEDGER_USAGE, "not both");
    EXPECT(h, ledger_campaigns(h, NULL, NULL, &out), LEDGER_OK, "[{\"campaign\":\"spring\"");
    EXPECT(h, ledger_contact(h, "spring", "c-1", NULL, NULL, &out), LEDGER_OK, "\"state\":\"delivered\"");
    EXPECT(h, ledger_contact(h, "spring", "c-1", NULL, "2026-11-20T09:02:30Z", &out), LEDGER_OK, "\"state\":\"sent\"");
    EXPECT(h, ledger_contact(h, "spring", "nobody", NULL, NULL, &out), LEDGER_NOT_FOUND, "no contact 'nobody'");
    EXPECT(h, ledger_contacts(h, "spring", NULL, 1, "c-1", NULL, NULL, &out), LEDGER_OK, "[{\"campaign\":\"spring\",\"contact\":\"c-2\"");
    EXPECT(h, ledger_contacts(h, "spring", "delivered", 0, NULL, NULL, NULL, &out), LEDGER_OK, "\"contact\":\"c-1\"");
    EXPECT(h, ledger_contacts(h, "spring", "happy", 0, NULL, NULL, NULL, &out), LEDGER_USAGE, "unknown state happy");
    EXPECT(h, ledger_contacts(h, "spring", NULL, -1, NULL, NULL, NULL, &out), LEDGER_USAGE, "limit");
    EXPECT(h, ledger_metrics(h, "spring", NULL, NULL, &out), LEDGER_OK, "\"contacts\":2");
    EXPECT(h, ledger_metrics(h, NULL, NULL, NULL, &out), LEDGER_OK, "\"sms\":{\"contacts\":2");
    EXPECT(h, ledger_history(h, "spring", "c-1", NULL, NULL, &out), LEDGER_OK, "\"effect\":\"applied\"");
    EXPECT(h, ledger_history(h, "spring", NULL, NULL, "2026-11-20T09:00:01Z", &out), LEDGER_OK, "\"type\":\"campaign.created\"");
    EXPECT(h, ledger_history(h, "autumn", NULL, NULL, NULL, &out), LEDGER_NOT_FOUND, "autumn");
    EXPECT(h, ledger_head(h, NULL, NULL, &out), LEDGER_OK, "{\"position\":6,\"hash\":\"");
    EXPECT(h, ledger_head(h, "2000-01-01T00:00:00Z", NULL, &out), LEDGER_OK, "{\"position\":0,");
    EXPECT(h, ledger_events(h, 4, 1, NULL, NULL, &out), LEDGER_OK, "\"id\":\"s-1\",\"contact\":\"c-1\",\"status\":\"sent\",\"attempt\":1,\"providerRef\":\"SM1\",\"position\":5,");
    EXPECT(h, ledger_events(h, 0, 10, NULL, "2026-11-20T09:00:01Z", &out), LEDGER_OK, "\"name\":\"Spring\",\"position\":1,\"recordedAt\"");
    EXPECT(h, ledger_events(h, 0, 0, NULL, NULL, &out), LEDGER_USAGE, "limit must be 1 to 10000");
    EXPECT(h, ledger_events(h, UINT64_MAX, 10, NULL, NULL, &out), LEDGER_OK, "[]");
    EXPECT(h, ledger_campaign(h, "spring", NULL, NULL, NULL), LEDGER_USAGE, "output pointer is NULL");

    /* Callbacks: a Twilio status for c-2, trusted, then the same unsigned against a secret. */
    const char *form = "MessageSid=SM2&MessageStatus=sent";
    const char *url = "/v1/callbacks/twilio?campaign=spring&contact=c-2&attempt=1";
    EXPECT(h, ledger_callback(h, "twilio", NULL, form, strlen(form), url, NULL, 1, &out), LEDGER_OK, "\"outcome\":\"appended\"");
    EXPECT(h, ledger_callback(h, "twilio", "{\"X-Twilio-Signature\": \"AAAA\"}", form, strlen(form), url,
                              "{\"twilio\": {\"authToken\": \"secret\"}}", 0, &out), LEDGER_UNAUTHENTICATED, "");
    EXPECT(h, ledger_callback(h, "twilio", NULL, form, strlen(form), url, NULL, 0, &out), LEDGER_USAGE, "settings");
    EXPECT(h, ledger_callback(h, "twilio", NULL, form, strlen(form), url, "{\"meta\": {\"appSecret\": \"s\"}}", 0, &out), LEDGER_NOT_FOUND, "twilio");
    EXPECT(h, ledger_callback(h, "twilio", NULL, form, strlen(form), url, "{\"twilio\": 1}", 0, &out), LEDGER_USAGE, "providers settings");
    EXPECT(h, ledger_callback(h, "carrier-pigeon", NULL, form, strlen(form), url, NULL, 1, &out), LEDGER_USAGE, "no provider carrier-pigeon");
    EXPECT(h, ledger_callback(h, "meta", "[[\"X\"]]", "{}", 2, NULL, NULL, 1, &out), LEDGER_BAD_INPUT, "headers");
    EXPECT(h, ledger_callback(h, "meta", NULL, "{not json", 9, NULL, NULL, 1, &out), LEDGER_BAD_INPUT, "");
    EXPECT(h, ledger_contact(h, "spring", "c-2", NULL, NULL, &out), LEDGER_OK, "\"state\":\"sent\"");

    /* Import. */
    snprintf(path, sizeof path, "%s/more.jsonl", scratch);
    FILE *f = fopen(path, "w");
    fputs("{\"type\":\"contact.added\",\"campaign\":\"spring\",\"contact\":\"c-3\",\"at\":\"2026-11-20T12:00:00Z\",\"address\":\"+420601234569\"}\n", f);
    fclose(f);
    EXPECT(h, ledger_import_file(h, path, "{\"dryRun\": true}", &out), LEDGER_OK, "\"appended\":1"); /* would be */
    EXPECT(h, ledger_import_file(h, path, NULL, &out), LEDGER_OK, "\"appended\":1");
    EXPECT(h, ledger_import_file(h, path, NULL, &out), LEDGER_OK, "\"duplicates\":1");
    snprintf(path, sizeof path, "%s/bad.jsonl", scratch);
    f = fopen(path, "w");
    fputs("{\"type\":\"contact.added\",\"campaign\":\"spring\",\"contact\":\"c-4\",\"at\":\"2026-11-20T12:00:00Z\",\"address\":\"+1\"}\n{\"type\":\"nope\"}\n", f);
    fclose(f);
    EXPECT(h, ledger_import_file(h, path, NULL, &out), LEDGER_BAD_INPUT, "bad.jsonl:2: type");
    EXPECT(h, ledger_contact(h, "spring", "c-4", NULL, NULL, &out), LEDGER_NOT_FOUND, "c-4");
    EXPECT(h, ledger_import_file(h, path, "{\"skipInvalid\": true}", &out), LEDGER_OK, "\"rejected\":1");
    EXPECT(h, ledger_import_file(h, "/nonexistent/x.jsonl", NULL, &out), LEDGER_NOT_FOUND, "cannot read");
    EXPECT(h, ledger_import_file(h, path, "{\"batchSize\": 0}", &out), LEDGER_USAGE, "batchSize");

    /* Threads sharing the handle: nothing lost, each reads its own message. */
    enum { THREADS = 4 };
    pthread_t threads[THREADS];
    struct worker workers[THREADS];
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (struct worker){h, i, 0};
        pthread_create(&threads[i], NULL, work, &workers[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        CHECK(workers[i].failed == 0, "thread %d: %d failures", i, workers[i].failed);
    }
    EXPECT(h, ledger_metrics(h, "spring", NULL, NULL, &out), LEDGER_OK, "\"contacts\":204");

    /* Erasure: by contact, twice, by address (the four threads' contacts t*-5 share one), then
       every refusal, nothing appended by any. */
    const char *forget_c1 = "{\"campaign\":\"spring\",\"contact\":\"c-1\",\"reason\":\"GDPR request 5521\",\"actor\":\"dpo:jana\"}";
    EXPECT(h, ledger_forget(h, forget_c1, &out), LEDGER_OK, "\"contact\":\"c-1\",\"position\":");
    EXPECT(h, ledger_contact(h, "spring", "c-1", NULL, NULL, &out), LEDGER_OK, "\"address\":null,\"forgotten\":true,");
    EXPECT(h, ledger_history(h, "spring", "c-1", NULL, NULL, &out), LEDGER_OK, "\"effect\":\"erased\"");
    EXPECT(h, ledger_forget(h, forget_c1, &out), LEDGER_OK,
           "{\"forgotten\":[],\"alreadyForgotten\":[{\"campaign\":\"spring\",\"contact\":\"c-1\"}],");
    EXPECT(h, ledger_forget(h, "{\"address\":\"+420 600 000 005\",\"reason\":\"GDPR request 5522\"}", &out), LEDGER_OK, "\"contact\":\"t3-5\"");
    EXPECT(h, ledger_contact(h, "spring", "t0-5", NULL, NULL, &out), LEDGER_OK, "\"address\":null,\"forgotten\":true,");
    EXPECT(h, ledger_contact(h, "spring", "t0-6", NULL, NULL, &out), LEDGER_OK, "\"address\":\"+420600000006\",\"addedAt\"");
    EXPECT(h, ledger_forget(h, "{\"address\":\"+999\",\"reason\":\"nobody has it\"}", &out), LEDGER_OK, "{\"forgotten\":[],\"alreadyForgotten\":[],");
    char *head_before = NULL;
    CHECK(ledger_head(h, NULL, NULL, &head_before) == LEDGER_OK, "head before the refused erasures");
    EXPECT(h, ledger_forget(h, "{\"campaign\":\"spring\",\"contact\":\"ghost\",\"reason\":\"r\"}", &out), LEDGER_NOT_FOUND, "no contact 'ghost'");
    EXPECT(h, ledger_forget(h, "{\"campaign\":\"spring\",\"contact\":\"c-2\"}", &out), LEDGER_USAGE, "reason is required");
    EXPECT(h, ledger_forget(h, "{\"campaign\":\"spring\",\"contact\":\"c-2\",\"reason\":\"\"}", &out), LEDGER_USAGE, "reason is required");
    EXPECT(h, ledger_forget(h, "{\"campaign\":\"spring\",\"reason\":\"r\"}", &out), LEDGER_USAGE, "give campaign and contact, or address");
    EXPECT(h, ledger_forget(h, "{\"campaign\":\"spring\",\"contact\":\"c-2\",\"address\":\"+1\",\"reason\":\"r\"}", &out), LEDGER_USAGE,
           "give campaign and contact, or address");
    EXPECT(h, ledger_forget(h, "{\"address\":\"\",\"reason\":\"r\"}", &out), LEDGER_USAGE, "address");
    EXPECT(h, ledger_forget(h, "{\"address\":5,\"reason\":\"r\"}", &out), LEDGER_USAGE, "address must be a string");
    EXPECT(h, ledger_forget(h, "{\"address\":\"+1\",\"reason\":\"r\",\"why\":\"x\"}", &out), LEDGER_USAGE, "unknown field why");
    EXPECT(h, ledger_forget(h, "[\"c-2\"]", &out), LEDGER_USAGE, "one JSON object");
    EXPECT(h, ledger_forget(h, "{\"address\":", &out), LEDGER_USAGE, "one JSON object");
    EXPECT(h, ledger_forget(h, NULL, &out), LEDGER_USAGE, "request is NULL");
    EXPECT(h, ledger_forget(h, "{\"address\":\"\xff\",\"reason\":\"r\"}", &out), LEDGER_BAD_INPUT, "not UTF-8");
    EXPECT(h, ledger_forget(h, forget_c1, NULL), LEDGER_USAGE, "output pointer is NULL");
    EXPECT(h, ledger_head(h, NULL, NULL, &out), LEDGER_OK, head_before);
    ledger_free(head_before);

    /* Maintenance. */
    EXPECT(h, ledger_verify(h, &out), LEDGER_OK, "\"ok\":true");
    EXPECT(h, ledger_rebuild(h, "{\"verify\": true}", &out), LEDGER_OK, "\"activated\":true");
    EXPECT(h, ledger_rebuild(h, "{\"threads\": 0}", &out), LEDGER_USAGE, "threads");
    EXPECT(h, ledger_metrics(h, "spring", NULL, NULL, &out), LEDGER_OK, "\"contacts\":204");

    /* Closing: the handle is then refused, not followed. */
    CHECK(ledger_close(h) == LEDGER_OK, "close");
    EXPECT(NULL, ledger_head(h, NULL, NULL, &out), LEDGER_USAGE, "not an open ledger handle");
    CHECK(ledger_close(h) == LEDGER_USAGE, "second close");
    CHECK(ledger_close(NULL) == LEDGER_USAGE, "close NULL");
    EXPECT(NULL, ledger_head(NULL, NULL, NULL, &out), LEDGER_USAGE, "NULL");

    /* Reopened: everything is there. */
    CHECK(ledger_open(store, reopen, &h) == LEDGER_OK, "reopen");
    EXPECT(h, ledger_head(h, NULL, NULL, &out), LEDGER_OK, "\"position\":");
    EXPECT(h, ledger_verify(h, &out), LEDGER_OK, "\"ok\":true");
    ledger_close(h);

    if (failures) {
        fprintf(stderr, "%d checks failed\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
