/* tests/cli/test_malicious_input.c - proves what scenarios/malicious-input.ini promises:
 * every hostile input of models/hostile_client.c is refused with its reason recorded or
 * stored verbatim (read back equal, byte for byte), nothing crashes, the record holds each
 * attempt, the SQL fragments did nothing to the record, and every reader shows the inputs
 * as data. How: the real `murphy` in separate processes; this file keeps its own copy of
 * the client's list (INPUTS) with the outcome each must have, and checks the record
 * against it entry by entry, undoing the record's one escape (kv_wire.h: NUL as \x00,
 * backslash as \\) to compare bytes:
 *  - ops: WRITES write ops in list order, each with key and value as given and `ok`
 *    "stored" or `fail` with the expected reason; after each stored one a read whose
 *    result is the value, same bytes, same length (STORED of them, REFUSED refused);
 *    REFUSED notes of the service naming the reason, WRITES notes in all; no violation;
 *  - schema and rows: the same tables and CREATE statements as a benign run's record;
 *    events = runs.event_count, 2 nodes, WRITES + STORED ops, one run;
 *  - log and report: no raw control byte, no NUL, the inputs printed with \x00, \x1b,
 *    \x0d made visible, the SQL and format strings printed literally;
 *  - export jsonl: every line parses (jansson), one per invoke and per completion;
 *  - timeline (html): no <script> beyond its own (as many as a benign run's timeline),
 *    no raw ESC;
 *  - the limits are the service's parameters: value_max=1000 refuses the 65535-byte value
 *    too, key_max=64 stores the 40-byte key;
 *  - determinism: the same hash in two processes for seeds 1..3, and `murphy replay`
 *    finds a recorded run identical. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "spawn.h"

#define SCENARIO "malicious-input"
#define WRITES 28
#define STORED 16
#define REFUSED (WRITES - STORED)
#define OVER_LIMIT_BYTES (100u * 1024u)
#define UNDER_LIMIT_BYTES (64u * 1024u - 1u)
#define VALUE_BYTES_MAX OVER_LIMIT_BYTES

enum gen { GEN_NONE, GEN_OVER, GEN_UNDER };

struct input {
    const char *key;
    size_t key_bytes;
    const char *value;
    size_t value_bytes;
    enum gen gen;
    const char *refusal; /* NULL: stored */
};

#define B(lit) lit, sizeof(lit) - 1
#define CHARS "key holds a byte outside [A-Za-z0-9_.-]"
#define KEY_LONG "key longer than key_max"
#define MALFORMED "malformed message (length, magic, kind or padding)"

/* models/hostile_client.c's list, in its order, with what the service must answer. */
static const struct input INPUTS[] = {
    {B("sql"), B("'; DROP TABLE events; --"), GEN_NONE, NULL},
    {B("sql2"), B("\" OR 1=1 --"), GEN_NONE, NULL},
    {B("'; DROP TABLE ops; --"), B("x"), GEN_NONE, CHARS},
    {B("html"), B("</script><script>alert(1)</script>"), GEN_NONE, NULL},
    {B("html2"), B("<!--"), GEN_NONE, NULL},
    {B("html3"), B("<img src=x onerror=\"alert(1)\"><svg/onload=alert(2)>&amp;]]><!"), GEN_NONE,
     NULL},
    {B("</script><script>alert(1)</script>"), B("x"), GEN_NONE, KEY_LONG},
    {B("nul"), B("a\0b\0\0c"), GEN_NONE, NULL},
    {B("ke\0y"), B("x"), GEN_NONE, CHARS},
    {B("big"), NULL, OVER_LIMIT_BYTES, GEN_OVER, "value longer than value_max"},
    {B("big"), NULL, UNDER_LIMIT_BYTES, GEN_UNDER, NULL},
    {B("fmt"), B("%s%s%n%x%p%1000000d"), GEN_NONE, NULL},
    {B("%s%n"), B("x"), GEN_NONE, CHARS},
    {B("shell"), B("`touch /tmp/murphy-pwned`"), GEN_NONE, NULL},
    {B("shell2"), B("$(touch /tmp/murphy-pwned); rm -rf ~ &"), GEN_NONE, NULL},
    {B("utf8"), B("\xff\xfe\xc0\xaf\xed\xa0\x80\xe2\x82"), GEN_NONE, NULL},
    {B("unicode"), B("\xe5\x90\x8d\xe5\x89\x8d \xe2\x80\xae(RLO)"), GEN_NONE, NULL},
    {B("crlf"), B("line1\r\nline2\n\rHTTP/1.1 200 OK\r\n\r\n"), GEN_NONE, NULL},
    {B("a\r\nb"), B("x"), GEN_NONE, CHARS},
    {B("ansi"), B("\x1b[2J\x1b]0;PWNED\x07\x1b[31mred\x9b"), GEN_NONE, NULL},
    {B("\x1b[2J"), B("x"), GEN_NONE, CHARS},
    {B("backslash"), B("C:\\dir\\x00not-a-nul\\"), GEN_NONE, NULL},
    {B(""), B("x"), GEN_NONE, "empty key"},
    {B("kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"), B("x"), GEN_NONE, KEY_LONG},
    {B("empty"), B(""), GEN_NONE, NULL},
    {B("framed"), B("fine"), GEN_NONE, "checksum mismatch"},
    {B("framed"), B("fine"), GEN_NONE, MALFORMED},
    {B("framed"), B("fine"), GEN_NONE, MALFORMED},
};
_Static_assert(sizeof INPUTS / sizeof INPUTS[0] == WRITES, "the list has WRITES entries");

TestSuite(malicious_input, .init = tmp_setup, .fini = tmp_teardown);

/* The entry's value bytes (generated ones as the client makes them) into out. */
static size_t input_value(const struct input *in, unsigned char *out)
{
    for (size_t i = 0; i < in->value_bytes; i++) {
        if (in->gen == GEN_OVER) out[i] = (unsigned char)('A' + i % 26);
        else if (in->gen == GEN_UNDER) out[i] = (unsigned char)((i * 7 + 3) & 0xff);
        else out[i] = (unsigned char)in->value[i];
    }
    return in->value_bytes;
}

/* Undoes kv_escape: \x00 -> NUL, \\ -> backslash; any other backslash is a broken record
 * (false). Writes at most out_bytes bytes. */
static bool unescape(const char *s, unsigned char *out, size_t out_bytes, size_t *bytes)
{
    size_t n = 0;
    for (const char *p = s; *p; n++) {
        if (n == out_bytes) return false;
        if (p[0] != '\\') {
            out[n] = (unsigned char)*p++;
        } else if (p[1] == '\\') {
            out[n] = '\\';
            p += 2;
        } else if (p[1] == 'x' && p[2] == '0' && p[3] == '0') {
            out[n] = 0;
            p += 4;
        } else {
            return false;
        }
    }
    *bytes = n;
    return true;
}

static void assert_text_is(const char *recorded, const void *bytes, size_t byte_count,
                           const char *what, size_t entry)
{
    static unsigned char got[VALUE_BYTES_MAX + 1];
    size_t got_bytes = 0;
    cr_assert_not_null(recorded, "entry %zu: %s missing", entry, what);
    cr_assert(unescape(recorded, got, sizeof got, &got_bytes), "entry %zu: %s broken", entry,
              what);
    cr_assert_eq(got_bytes, byte_count, "entry %zu: %s has %zu bytes, not %zu", entry, what,
                 got_bytes, byte_count);
    cr_assert(byte_count == 0 || memcmp(got, bytes, byte_count) == 0,
              "entry %zu: %s differs", entry, what);
}

static struct recorded record_seed(const char *db_path, uint64_t seed, const char *set)
{
    const char *extra[] = {"--set", set, NULL};
    return record_run_argv(db_path, SCENARIO, seed, 0, set ? extra : NULL);
}

/* The op at op_id of the run: its f, key, value, type, result (texts copied). */
struct op_row {
    char f[16], type[16];
    char *key, *value, *result;
};

static void op_free(struct op_row *op)
{
    free(op->key);
    free(op->value);
    free(op->result);
}

static char *dup_column(sqlite3_stmt *s, int column)
{
    const unsigned char *t = sqlite3_column_text(s, column);
    return t ? strdup((const char *)t) : NULL;
}

static bool op_read(sqlite3_stmt *s, struct op_row *op)
{
    if (sqlite3_step(s) != SQLITE_ROW) return false;
    snprintf(op->f, sizeof op->f, "%s", (const char *)sqlite3_column_text(s, 0));
    snprintf(op->type, sizeof op->type, "%s", (const char *)sqlite3_column_text(s, 4));
    op->key = dup_column(s, 1);
    op->value = dup_column(s, 2);
    op->result = dup_column(s, 3);
    return true;
}

Test(malicious_input, every_input_is_refused_with_its_reason_or_stored_verbatim)
{
    const char *db_path = tmp_path("mi.db");
    struct recorded rec = record_seed(db_path, 1, NULL);
    cr_assert_str_eq(rec.status, "ok (nothing left to happen)", "all %d sent", WRITES);
    sqlite3 *db = db_open(db_path, false);
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT f, key, value, result, type FROM ops WHERE"
                                        " run_id = ?1 ORDER BY op_id", -1, &s, NULL), SQLITE_OK);
    sqlite3_bind_int64(s, 1, rec.run_id);
    static unsigned char value[VALUE_BYTES_MAX];
    size_t stored = 0, refused = 0;
    for (size_t i = 0; i < WRITES; i++) {
        const struct input *in = &INPUTS[i];
        size_t value_bytes = input_value(in, value);
        struct op_row w = {0};
        cr_assert(op_read(s, &w), "entry %zu: no write op", i);
        cr_assert_str_eq(w.f, "write", "entry %zu", i);
        assert_text_is(w.key, in->key, in->key_bytes, "the write's key", i);
        assert_text_is(w.value, value, value_bytes, "the write's value", i);
        if (in->refusal) {
            cr_assert_str_eq(w.type, "fail", "entry %zu", i);
            cr_assert_str_eq(w.result, in->refusal, "entry %zu", i);
            refused++;
            int64_t notes = db_int_text(db, "SELECT count(*) FROM annotations WHERE run_id = ?1"
                                            " AND kind = 'note' AND text LIKE 'refused %' AND"
                                            " substr(text, -length(?2)) = ?2", rec.run_id,
                                        in->refusal, NULL);
            cr_assert_gt(notes, 0, "entry %zu: the reason is noted", i);
        } else {
            cr_assert_str_eq(w.type, "ok", "entry %zu", i);
            cr_assert_str_eq(w.result, "stored", "entry %zu", i);
            struct op_row r = {0};
            cr_assert(op_read(s, &r), "entry %zu: no read-back", i);
            cr_assert_str_eq(r.f, "read", "entry %zu", i);
            cr_assert_str_eq(r.type, "ok", "entry %zu", i);
            assert_text_is(r.key, in->key, in->key_bytes, "the read's key", i);
            assert_text_is(r.result, value, value_bytes, "the value read back", i);
            op_free(&r);
            stored++;
        }
        op_free(&w);
    }
    struct op_row extra = {0};
    cr_assert_not(op_read(s, &extra), "no op beyond the list");
    sqlite3_finalize(s);
    cr_assert_eq(stored, STORED);
    cr_assert_eq(refused, REFUSED);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM annotations WHERE run_id = ?1 AND kind ="
                            " 'note' AND text LIKE 'refused %'", rec.run_id, 0), REFUSED);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM annotations WHERE run_id = ?1 AND kind ="
                            " 'note'", rec.run_id, 0), WRITES, "one verdict per write");
    cr_assert_eq(db_int(db, "SELECT count(*) FROM violations WHERE run_id = ?1", rec.run_id, 0),
                 0, "every read-back equal (the client checks too)");
    db_close(db);
}

/* The names and CREATE statements of a record's tables, one per line, sorted. */
static char *schema_of(const char *db_path)
{
    sqlite3 *db = db_open(db_path, false);
    sqlite3_stmt *s = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT type, name, sql FROM sqlite_master ORDER BY"
                                        " type, name", -1, &s, NULL), SQLITE_OK);
    size_t cap = 1 << 16, used = 0;
    char *text = calloc(1, cap);
    cr_assert_not_null(text);
    while (sqlite3_step(s) == SQLITE_ROW) {
        int n = snprintf(text + used, cap - used, "%s %s %s\n", sqlite3_column_text(s, 0),
                         sqlite3_column_text(s, 1), sqlite3_column_text(s, 2));
        cr_assert(n > 0 && (size_t)n < cap - used, "schema fits");
        used += (size_t)n;
    }
    sqlite3_finalize(s);
    db_close(db);
    return text;
}

Test(malicious_input, the_record_keeps_its_schema_and_its_row_counts)
{
    const char *db_path = tmp_path("rows.db"), *benign_path = tmp_path("benign.db");
    struct recorded rec = record_seed(db_path, 1, NULL);
    struct spawn_result r;
    murphy(&r, "run", "unreliable-network", "--db", benign_path, "--quiet", "--set",
           "scenario.duration=2s", NULL);
    cr_assert(r.has_exited && r.exit_code == 0, "%s\n%s", r.cmd, r.err);
    spawn_result_free(&r);
    char *hostile = schema_of(db_path), *benign = schema_of(benign_path);
    cr_assert_str_eq(hostile, benign, "the same tables, as created");
    cr_assert_not_null(strstr(hostile, "table events "));
    cr_assert_not_null(strstr(hostile, "table ops "));
    free(hostile);
    free(benign);
    sqlite3 *db = db_open(db_path, false);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM runs", 0, 0), 1);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM events WHERE run_id = ?1", rec.run_id, 0),
                 db_int(db, "SELECT event_count FROM runs WHERE id = ?1", rec.run_id, 0));
    cr_assert_eq((uint64_t)db_int(db, "SELECT count(*) FROM events", 0, 0), rec.events);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM nodes", 0, 0), 2);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM ops", 0, 0), WRITES + STORED);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM faults", 0, 0), 0);
    cr_assert_eq(db_int(db, "SELECT count(*) FROM annotations", 0, 0), WRITES);
    db_close(db);
}

static bool has_raw_control(const char *text, size_t bytes)
{
    if (strlen(text) != bytes) return true; /* a NUL inside */
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p == 0x1b || *p == 0x07 || *p == 0x0d || *p == 0x9b) return true;
    return false;
}

Test(malicious_input, log_and_report_print_the_inputs_as_data)
{
    const char *db_path = tmp_path("log.db");
    record_seed(db_path, 1, NULL);
    struct spawn_result r;
    murphy(&r, "log", db_path, NULL);
    cr_assert(r.has_exited && r.exit_code == 0, "%s: %s", r.cmd, r.err);
    cr_assert_not(has_raw_control(r.out, r.out_bytes), "log printed a raw control byte");
    cr_assert_eq(count_lines_with(r.out, "[write] key "), WRITES);
    cr_assert_eq(count_lines_with(r.out, "[read] key "), STORED);
    const char *shown[] = {
        "value \"a\\x00b\\x00\\x00c\"",                   /* NULs visible */
        "key \"ke\\x00y\"",
        "\"\\x1b[2J\\x1b]0;PWNED\\x07\\x1b[31mred\\x9b\"",  /* ANSI escapes as text */
        "\"line1\\x0d\\x0aline2",                         /* CR/LF */
        "\\xe2\\x80\\xae(RLO)",                           /* a bidi override */
        "\\xff\\xfe\\xc0\\xaf",                           /* broken UTF-8 */
        "value \"'; DROP TABLE events; --\"",             /* SQL, literally */
        "value \"%s%s%n%x%p%1000000d\"",                  /* never a format string */
        "value \"$(touch /tmp/murphy-pwned); rm -rf ~ &\"",
        "\"... (102400 bytes)",                           /* the big value, cut */
        "[result] \"value longer than value_max\"",
        "[note] refused a put of key \"ke\\x00y\" (4 bytes)",
    };
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        cr_assert_not_null(strstr(r.out, shown[i]), "log lacks %s", shown[i]);
    spawn_result_free(&r);
    murphy(&r, "report", db_path, NULL);
    cr_assert(r.has_exited && r.exit_code == 0, "%s: %s", r.cmd, r.err);
    cr_assert_not(has_raw_control(r.out, r.out_bytes), "report printed a raw control byte");
    cr_assert_eq(count_lines_with(r.out, "  write            16       12        0"), 1, "%s",
                 r.out);
    cr_assert_eq(count_lines_with(r.out, "  read             16        0        0"), 1, "%s",
                 r.out);
    cr_assert_not_null(strstr(r.out, "notes: 28"), "%s", r.out);
    spawn_result_free(&r);
}

Test(malicious_input, export_jsonl_parses_line_by_line)
{
    const char *db_path = tmp_path("export.db");
    record_seed(db_path, 1, NULL);
    struct spawn_result r;
    murphy(&r, "export", db_path, "--format", "jsonl", NULL);
    cr_assert(r.has_exited && r.exit_code == 0, "%s: %s", r.cmd, r.err);
    cr_assert_eq(strlen(r.out), r.out_bytes, "no NUL in the export");
    size_t lines = 0, scripts = 0;
    for (char *line = r.out, *end; *line; line = end + 1) {
        end = strchr(line, '\n');
        cr_assert_not_null(end, "every line ends");
        *end = '\0';
        json_error_t error;
        json_t *o = json_loads(line, 0, &error);
        cr_assert_not_null(o, "line %zu: %s", lines + 1, error.text);
        const char *value = json_string_value(json_object_get(o, "value"));
        if (value && strstr(value, "</script><script>alert(1)</script>")) scripts++;
        json_decref(o);
        lines++;
    }
    cr_assert_eq(lines, 2 * (WRITES + STORED), "an invoke and a completion per op");
    /* the write's invoke and ok, and the read's ok (its value is the result) */
    cr_assert_eq(scripts, 3, "the markup value kept as data");
    spawn_result_free(&r);
}

static size_t count_in(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

Test(malicious_input, timeline_escapes_the_markup)
{
    const char *db_path = tmp_path("tl.db"), *benign_path = tmp_path("tl-benign.db");
    record_seed(db_path, 1, NULL);
    struct spawn_result r;
    murphy(&r, "run", "unreliable-network", "--db", benign_path, "--quiet", "--set",
           "scenario.duration=2s", NULL);
    cr_assert(r.has_exited && r.exit_code == 0, "%s\n%s", r.cmd, r.err);
    spawn_result_free(&r);
    const char *outs[2] = {tmp_path("hostile.html"), tmp_path("benign.html")};
    const char *dbs[2] = {db_path, benign_path};
    size_t scripts[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        murphy(&r, "timeline", dbs[i], "--out", outs[i], NULL);
        cr_assert(r.has_exited && r.exit_code == 0, "%s: %s", r.cmd, r.err);
        spawn_result_free(&r);
        size_t bytes = 0;
        char *html = read_file(outs[i], &bytes);
        cr_assert_not_null(html);
        cr_assert_eq(strlen(html), bytes, "no NUL in the page");
        scripts[i] = count_in(html, "<script");
        if (i == 0) {
            cr_assert_eq(count_in(html, "<script>alert"), 0, "markup from a note ran");
            cr_assert_eq(count_in(html, "\x1b"), 0, "a raw ESC");
            cr_assert_gt(count_in(html, "alert(1)"), 0, "the refused key is shown, escaped");
        }
        text_free(html);
    }
    cr_assert_gt(scripts[1], 0, "the page has its own script");
    cr_assert_eq(scripts[0], scripts[1], "no <script> beyond the page's own");
}

Test(malicious_input, the_limits_are_the_services_parameters)
{
    const char *db_path = tmp_path("limits.db");
    struct recorded small = record_seed(db_path, 1, "node.server.value_max=1000");
    struct recorded wide = record_seed(db_path, 1, "node.server.key_max=64");
    sqlite3 *db = db_open(db_path, false);
    const char *sql = "SELECT count(*) FROM ops WHERE run_id = ?1 AND f = 'write' AND type = ?2";
    cr_assert_eq(db_int_text(db, sql, small.run_id, "fail", NULL), REFUSED + 1);
    cr_assert_eq(db_int_text(db, sql, small.run_id, "ok", NULL), STORED - 1);
    cr_assert_eq(db_int_text(db, sql, wide.run_id, "fail", NULL), REFUSED - 1);
    cr_assert_eq(db_int_text(db, sql, wide.run_id, "ok", NULL), STORED + 1);
    cr_assert_eq(db_int_text(db, "SELECT count(*) FROM ops WHERE run_id = ?1 AND result = ?2",
                             wide.run_id, CHARS, NULL), 6, "the script key refused for its bytes");
    db_close(db);
}

Test(malicious_input, same_seed_same_hash_in_two_processes_and_replay_identical)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        uint64_t first = run_hash(SCENARIO, seed, NULL);
        cr_assert_eq(first, run_hash(SCENARIO, seed, NULL), "seed %" PRIu64, seed);
    }
    const char *db_path = tmp_path("replay.db");
    struct recorded rec = record_seed(db_path, 2, NULL);
    cr_assert_eq(rec.hash, run_hash(SCENARIO, 2, NULL), "recorded or not, the same run");
    assert_replay_identical(db_path, &rec);
}
