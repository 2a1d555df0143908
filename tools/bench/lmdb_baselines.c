/*
 * The C baselines of the campaign-ledger benchmark (tools/bench.sh, docs/performance.md):
 * what liblmdb itself does on this machine, measured in the same run as ours.
 *
 *   lmdb_baselines append     DIR N            N 200-byte records, MDB_APPEND, 10 k per txn
 *   lmdb_baselines append-rmw DIR N CONTACTS   the same plus a read-modify-write of a 64-byte
 *                                              per-contact record (uniform over CONTACTS)
 *   lmdb_baselines fsync      DIR N            one durable (synced) transaction per record
 *   lmdb_baselines scan       STORE            full cursor scan of a ledger's `events` (warm)
 *   lmdb_baselines scan-cold  STORE            one scan as the page cache has it (drop it first)
 *   lmdb_baselines equiv      STORE DIR        the records a ledger writes per event, in 10 k
 *                                              event transactions (see write_equivalent)
 *
 * Each prints `metric<TAB>events-per-second`. DIR must not exist or be empty.
 */
#include <errno.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define BATCH 10000

static void check(int rc, const char *what) {
    if (rc != 0) {
        fprintf(stderr, "lmdb_baselines: %s: %s\n", what, mdb_strerror(rc));
        exit(70);
    }
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put_be64(unsigned char *p, uint64_t v) {
    for (int i = 7; i >= 0; i--) { p[i] = v & 0xff; v >>= 8; }
}

static uint32_t get_be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get_be64(const unsigned char *p) {
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* xorshift64*: the same stream on every run. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state >> 12; rng_state ^= rng_state << 25; rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Like the ledger: a 64 GiB map, MDB_NOTLS, default (synced) commits, never MDB_WRITEMAP. */
static MDB_env *open_env(const char *dir, unsigned flags) {
    MDB_env *env;
    if (!(flags & MDB_RDONLY)) mkdir(dir, 0755);
    check(mdb_env_create(&env), "env_create");
    check(mdb_env_set_maxdbs(env, 64), "set_maxdbs");
    check(mdb_env_set_mapsize(env, (size_t)64 << 30), "set_mapsize");
    check(mdb_env_open(env, dir, MDB_NOTLS | flags, 0644), "env_open");
    return env;
}

static MDB_dbi open_db(MDB_txn *txn, const char *name, unsigned flags) {
    MDB_dbi dbi;
    check(mdb_dbi_open(txn, name, flags, &dbi), name);
    return dbi;
}

static void put(MDB_txn *txn, MDB_dbi db, const void *k, size_t kn, const void *v, size_t vn, unsigned flags) {
    MDB_val key = {kn, (void *)k}, val = {vn, (void *)v};
    int rc = mdb_put(txn, db, &key, &val, flags);
    if (rc != MDB_KEYEXIST) check(rc, "put");
}

/* append / append-rmw / fsync */
static void append(const char *dir, long n, long contacts, long per_txn, const char *metric) {
    MDB_env *env = open_env(dir, 0);
    MDB_txn *txn;
    check(mdb_txn_begin(env, NULL, 0, &txn), "begin");
    MDB_dbi log = open_db(txn, "events", MDB_CREATE);
    MDB_dbi people = open_db(txn, "contacts", MDB_CREATE);
    check(mdb_txn_commit(txn), "commit");
    unsigned char value[200], key[8], person[64];
    for (int i = 0; i < 200; i++) value[i] = (unsigned char)rnd();
    memset(person, 0, sizeof person);
    double start = now();
    for (long i = 0; i < n; i += per_txn) {
        check(mdb_txn_begin(env, NULL, 0, &txn), "begin");
        for (long j = i; j < i + per_txn && j < n; j++) {
            put_be64(key, (uint64_t)j + 1);
            put(txn, log, key, 8, value, sizeof value, MDB_APPEND);
            if (contacts > 0) {
                char id[24];
                int len = snprintf(id, sizeof id, "c-%07ld", (long)(rnd() % (uint64_t)contacts));
                MDB_val k = {(size_t)len, id}, v;
                if (mdb_get(txn, people, &k, &v) == 0) memcpy(person, v.mv_data, v.mv_size < 64 ? v.mv_size : 64);
                person[0]++;
                put(txn, people, id, (size_t)len, person, sizeof person, 0);
            }
        }
        check(mdb_txn_commit(txn), "commit");
    }
    double seconds = now() - start;
    printf("%s\t%f\n", metric, n / seconds);
    mdb_env_close(env);
}

/* Warm: two passes, the second timed (the first warms the page cache). Cold: one pass, as it
 * comes (tools/bench.sh drops the page cache first). */
static void scan(const char *store, int passes, const char *metric) {
    MDB_env *env = open_env(store, MDB_RDONLY);
    double best = 0;
    for (int pass = 0; pass < passes; pass++) {
        MDB_txn *txn;
        MDB_cursor *cur;
        MDB_val k, v;
        check(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn), "begin");
        MDB_dbi events = open_db(txn, "events", 0);
        check(mdb_cursor_open(txn, events, &cur), "cursor");
        long n = 0;
        unsigned sum = 0;
        double start = now();
        while (mdb_cursor_get(cur, &k, &v, n == 0 ? MDB_FIRST : MDB_NEXT) == 0) {
            sum += ((unsigned char *)v.mv_data)[1] + ((unsigned char *)v.mv_data)[v.mv_size - 1];
            n++;
        }
        best = n / (now() - start);
        if (sum == 1) fprintf(stderr, " ");
        mdb_cursor_close(cur);
        mdb_txn_abort(txn);
    }
    printf("%s\t%f\n", metric, best);
    mdb_env_close(env);
}

/* One event of a ledger, as equiv needs it (pointers into one malloc'd copy of the log). */
typedef struct {
    unsigned char *record;
    size_t size;
    const unsigned char *campaign, *contact, *id;
    uint32_t campaign_len, contact_len, id_len;
    unsigned char type, status;
    int64_t at;
} Event;

/* A string's length: u32 in record version 1, a varint in version 2 (docs/format.md). */
static int varint_lengths;

static const unsigned char *string_at(const unsigned char *r, size_t *i, uint32_t *len) {
    if (varint_lengths) {
        uint32_t v = 0;
        int shift = 0;
        unsigned char b;
        do {
            b = r[(*i)++];
            v |= (uint32_t)(b & 0x7f) << shift;
            shift += 7;
        } while (b & 0x80);
        *len = v;
    } else {
        *len = get_be32(r + *i);
        *i += 4;
    }
    const unsigned char *s = r + *i;
    *i += *len;
    return s;
}

/* docs/format.md, "Event record": the fields up to `status` (versions 1 and 2). */
static void decode(Event *e) {
    const unsigned char *r = e->record;
    uint32_t at_len;
    varint_lengths = r[0] == 2;
    e->type = r[1];
    e->at = (int64_t)get_be64(r + 50);
    unsigned presence = (unsigned)r[58] << 8 | r[59];
    size_t i = 60;
    e->campaign = string_at(r, &i, &e->campaign_len);
    string_at(r, &i, &at_len);
    e->contact = NULL; e->contact_len = 0; e->id = NULL; e->id_len = 0; e->status = 0;
    uint32_t skip;
    if ((presence & 1) && r[0] == 2 && (presence >> 13 & 3)) {  /* an imp-/ev- id kept as 16 bytes */
        e->id = r + i;
        e->id_len = 16;
        i += 16;
    } else if (presence & 1) {
        e->id = string_at(r, &i, &e->id_len);
    }
    if (presence & 2) e->contact = string_at(r, &i, &e->contact_len);
    if (presence & 4) i += 1;
    if (presence & 8) string_at(r, &i, &skip);
    if (presence & 16) string_at(r, &i, &skip);
    if (presence & 32) e->status = r[i];
}

/* Mean value size of a named database (0 when absent). */
static size_t mean_size(MDB_txn *txn, const char *name) {
    MDB_dbi db;
    MDB_cursor *cur;
    MDB_val k, v;
    if (mdb_dbi_open(txn, name, 0, &db) != 0) return 0;
    check(mdb_cursor_open(txn, db, &cur), "cursor");
    size_t total = 0, n = 0;
    while (mdb_cursor_get(cur, &k, &v, n == 0 ? MDB_FIRST : MDB_NEXT) == 0) { total += v.mv_size; n++; }
    mdb_cursor_close(cur);
    return n ? total / n : 0;
}

static Event *events;

/* Orders event indexes by (campaign, contact), so a batch's touched contacts are deduplicated. */
static int by_contact(const void *a, const void *b) {
    const Event *x = &events[*(const long *)a], *y = &events[*(const long *)b];
    if (x->campaign_len != y->campaign_len) return x->campaign_len < y->campaign_len ? -1 : 1;
    int c = memcmp(x->campaign, y->campaign, x->campaign_len);
    if (c) return c;
    if (x->contact_len != y->contact_len) return x->contact_len < y->contact_len ? -1 : 1;
    return memcmp(x->contact, y->contact, x->contact_len);
}

static size_t prefixed(unsigned char *out, const unsigned char *s, uint32_t n) {
    out[0] = (unsigned char)n;
    memcpy(out + 1, s, n);
    return 1 + n;
}

/*
 * Writes, in 10 k-event transactions, the records the ledger writes per event (docs/format.md,
 * format 2): per event the log record (the ledger's own bytes, MDB_APPEND), the id index entry
 * (MDB_NODUPDATA), the position appended to the campaign's and the contact's lists, a registry lookup
 * (validation) and, for delivered/read reports, a timing index entry; per transaction, once per
 * touched contact, a read and a write of its fold (the build's mean fold size) and its registry
 * record; once per touched campaign, its aggregate; and the head and the build checkpoint. No
 * parsing, validation logic, hashing or folding: this is the floor the ledger is measured against.
 */
static void write_equivalent(const char *store, const char *dir) {
    MDB_env *src = open_env(store, MDB_RDONLY);
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val k, v;
    check(mdb_txn_begin(src, NULL, MDB_RDONLY, &txn), "begin");
    MDB_dbi log = open_db(txn, "events", 0);
    MDB_stat st;
    check(mdb_stat(txn, log, &st), "stat");
    long n = (long)st.ms_entries;
    events = calloc((size_t)n, sizeof(Event));
    check(mdb_cursor_open(txn, log, &cur), "cursor");
    for (long i = 0; mdb_cursor_get(cur, &k, &v, i == 0 ? MDB_FIRST : MDB_NEXT) == 0 && i < n; i++) {
        events[i].record = malloc(v.mv_size);
        memcpy(events[i].record, v.mv_data, v.mv_size);
        events[i].size = v.mv_size;
        decode(&events[i]);
    }
    mdb_cursor_close(cur);
    MDB_dbi meta = open_db(txn, "meta", 0);
    MDB_val key = {12, "active_build"};
    unsigned build = 1;
    if (mdb_get(txn, meta, &key, &v) == 0 && v.mv_size == 4) build = get_be32(v.mv_data);
    char name[64];
    snprintf(name, sizeof name, "b%u.contacts", build);
    size_t fold_size = mean_size(txn, name);
    snprintf(name, sizeof name, "b%u.campaigns", build);
    size_t aggregate_size = mean_size(txn, name);
    mdb_txn_abort(txn);
    mdb_env_close(src);
    if (fold_size == 0) fold_size = 40;
    if (aggregate_size == 0) aggregate_size = 400;

    MDB_env *env = open_env(dir, 0);
    check(mdb_txn_begin(env, NULL, 0, &txn), "begin");
    /* Format 2's indexes: positions as sorted fixed-size duplicates under an 8-byte id digest,
     * a campaign, a contact (docs/format.md). The id digest here is FNV-1a (a floor: the ledger
     * computes SHA-256). */
    unsigned dups = MDB_CREATE | MDB_DUPSORT | MDB_DUPFIXED;
    MDB_dbi d_events = open_db(txn, "events", MDB_CREATE), d_ids = open_db(txn, "ids", dups),
            d_cs = open_db(txn, "campaign_positions", dups), d_ks = open_db(txn, "contact_positions", dups),
            d_reg = open_db(txn, "registry", MDB_CREATE), d_fold = open_db(txn, "b1.contacts", MDB_CREATE),
            d_agg = open_db(txn, "b1.campaigns", MDB_CREATE), d_tim = open_db(txn, "b1.timings", MDB_CREATE),
            d_meta = open_db(txn, "meta", MDB_CREATE), d_builds = open_db(txn, "builds", MDB_CREATE);
    check(mdb_txn_commit(txn), "commit");

    unsigned char *fold = calloc(1, fold_size), *aggregate = calloc(1, aggregate_size), buf[600], pos[8];
    long *touched = malloc(sizeof(long) * BATCH);
    double start = now();
    for (long i = 0; i < n; i += BATCH) {
        long end = i + BATCH < n ? i + BATCH : n, m = 0;
        check(mdb_txn_begin(env, NULL, 0, &txn), "begin");
        for (long j = i; j < end; j++) {
            Event *e = &events[j];
            put_be64(pos, (uint64_t)j + 1);
            put(txn, d_events, pos, 8, e->record, e->size, MDB_APPEND);
            if (e->id) {
                uint64_t h = 14695981039346656037ULL;
                for (uint32_t b = 0; b < e->id_len; b++) h = (h ^ e->id[b]) * 1099511628211ULL;
                unsigned char digest[8];
                put_be64(digest, h);
                put(txn, d_ids, digest, 8, pos, 8, MDB_NODUPDATA);
            }
            size_t len = prefixed(buf, e->campaign, e->campaign_len);
            if (e->contact) { /* validation reads the contact's registry record */
                unsigned char reg[600];
                reg[0] = 2;
                size_t rlen = 1 + prefixed(reg + 1, e->campaign, e->campaign_len);
                memcpy(reg + rlen, e->contact, e->contact_len);
                MDB_val rk = {rlen + e->contact_len, reg};
                mdb_get(txn, d_reg, &rk, &v);
            }
            put(txn, d_cs, buf, len, pos, 8, MDB_APPENDDUP);
            if (e->contact) {
                size_t l2 = len + prefixed(buf + len, e->contact, e->contact_len);
                put(txn, d_ks, buf, l2, pos, 8, MDB_APPENDDUP);
                touched[m++] = j;
                if (e->status == 17 || e->status == 18) {
                    buf[len] = e->status == 17 ? 1 : 2;
                    put_be64(buf + len + 1, (uint64_t)e->at);
                    memcpy(buf + len + 9, e->contact, e->contact_len);
                    put(txn, d_tim, buf, len + 9 + e->contact_len, "", 0, 0);
                }
            }
        }
        qsort(touched, (size_t)m, sizeof(long), by_contact);
        const unsigned char *last_campaign = NULL;
        uint32_t last_campaign_len = 0;
        for (long t = 0; t < m; t++) {
            if (t > 0 && by_contact(&touched[t - 1], &touched[t]) == 0) continue;
            Event *e = &events[touched[t]];
            size_t len = prefixed(buf, e->campaign, e->campaign_len);
            memcpy(buf + len, e->contact, e->contact_len);
            MDB_val fk = {len + e->contact_len, buf};
            if (mdb_get(txn, d_fold, &fk, &v) == 0) fold[0] = ((unsigned char *)v.mv_data)[0] + 1;
            put(txn, d_fold, buf, len + e->contact_len, fold, fold_size, 0);
            unsigned char reg[600];
            reg[0] = 2;
            memcpy(reg + 1, buf, len + e->contact_len);
            put(txn, d_reg, reg, 1 + len + e->contact_len, "\0\0\0\0\1", 5, 0);
            if (!last_campaign || last_campaign_len != e->campaign_len ||
                memcmp(last_campaign, e->campaign, e->campaign_len) != 0) {
                MDB_val ak = {e->campaign_len, (void *)e->campaign};
                if (mdb_get(txn, d_agg, &ak, &v) == 0) aggregate[0] = ((unsigned char *)v.mv_data)[0] + 1;
                put(txn, d_agg, e->campaign, e->campaign_len, aggregate, aggregate_size, 0);
                last_campaign = e->campaign;
                last_campaign_len = e->campaign_len;
            }
        }
        unsigned char head[48] = {0}, info[120] = {0}, number[4] = {0, 0, 0, 1};
        put_be64(head, (uint64_t)end);
        put(txn, d_meta, "head", 4, head, sizeof head, 0);
        put(txn, d_builds, number, 4, info, sizeof info, 0);
        check(mdb_txn_commit(txn), "commit");
    }
    double seconds = now() - start;
    printf("c_equiv_eps\t%f\n", n / seconds);
    mdb_env_close(env);
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "append") == 0) append(argv[2], atol(argv[3]), 0, BATCH, "c_append_eps");
    else if (argc >= 5 && strcmp(argv[1], "append-rmw") == 0)
        append(argv[2], atol(argv[3]), atol(argv[4]), BATCH, "c_append_rmw_eps");
    else if (argc >= 4 && strcmp(argv[1], "fsync") == 0) append(argv[2], atol(argv[3]), 0, 1, "c_fsync_eps");
    else if (argc >= 3 && strcmp(argv[1], "scan") == 0) scan(argv[2], 2, "c_scan_eps");
    else if (argc >= 3 && strcmp(argv[1], "scan-cold") == 0) scan(argv[2], 1, "c_cold_scan_eps");
    else if (argc >= 4 && strcmp(argv[1], "equiv") == 0) write_equivalent(argv[2], argv[3]);
    else {
        fprintf(stderr, "usage: lmdb_baselines append|append-rmw|fsync|scan|equiv ... (see the source)\n");
        return 64;
    }
    return 0;
}
