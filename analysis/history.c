/* analysis/history.c - loading histories for the linearizability checker from a record's
 * ops table or a JSONL file (parsed with jansson); see history.h.
 *
 * JSONL pairing: each process has at most one open invoke, kept aside (in a map by
 * process) until its completion decides it: ok adds it as done, info adds it open, fail
 * drops it (it never took effect). */
#include "history.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sim/u64map.h"

static int parse_f(const char *f, enum lin_f *out)
{
    if (strcmp(f, "read") == 0) *out = LIN_F_READ;
    else if (strcmp(f, "write") == 0) *out = LIN_F_WRITE;
    else if (strcmp(f, "cas") == 0) *out = LIN_F_CAS;
    else return -1;
    return 0;
}

/* --- a recorded run --------------------------------------------------------------------- */

static const char *column_text(sqlite3_stmt *s, int col)
{
    return sqlite3_column_type(s, col) == SQLITE_NULL ? NULL
                                                      : (const char *)sqlite3_column_text(s, col);
}

int an_history_load_run(struct an_db *db, const struct an_run *run, struct lin_history *h,
                        char *err, size_t err_bytes)
{
    sqlite3 *sq = an_db_sqlite(db);
    sqlite3_stmt *s = NULL;
    const char *sql = "SELECT op_id, node, f, key, value, type, result, invoke_seq,"
                      " complete_seq, invoke_ns, complete_ns FROM ops WHERE run_id = ?1"
                      " ORDER BY invoke_seq";
    if (sqlite3_prepare_v2(sq, sql, -1, &s, NULL) != SQLITE_OK) {
        snprintf(err, err_bytes, "reading ops: %s", sqlite3_errmsg(sq));
        return AN_HISTORY_IO;
    }
    sqlite3_bind_int64(s, 1, run->id);
    int rc = AN_HISTORY_OK, step;
    while (rc == AN_HISTORY_OK && (step = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t op_id = sqlite3_column_int64(s, 0);
        const char *f = column_text(s, 2), *type = column_text(s, 5);
        struct lin_op op = {.process = sqlite3_column_int64(s, 1), .key = (char *)column_text(s, 3),
                            .value = (char *)column_text(s, 4),
                            .invoke_pos = (uint64_t)sqlite3_column_int64(s, 7),
                            .complete_pos = (uint64_t)sqlite3_column_int64(s, 8),
                            .invoke_ns = sqlite3_column_int64(s, 9), .complete_ns = -1};
        if (!f || parse_f(f, &op.f) != 0) {
            snprintf(err, err_bytes, "op %" PRId64 ": f '%.40s' is not read, write or cas",
                     op_id, f ? f : "(null)");
            rc = AN_HISTORY_BAD;
            break;
        }
        if (!type) type = "";
        if (strcmp(type, "fail") == 0) continue; /* never took effect */
        bool is_done = strcmp(type, "ok") == 0;
        if (!is_done && strcmp(type, "info") != 0) {
            snprintf(err, err_bytes, "op %" PRId64 ": type '%.20s' is not ok, fail or info",
                     op_id, type);
            rc = AN_HISTORY_BAD;
            break;
        }
        op.is_open = !is_done;
        if (is_done) {
            if (sqlite3_column_type(s, 8) == SQLITE_NULL || op.complete_pos <= op.invoke_pos) {
                snprintf(err, err_bytes, "op %" PRId64 ": completed ok without a completion"
                         " after its invoke", op_id);
                rc = AN_HISTORY_BAD;
                break;
            }
            op.complete_ns = sqlite3_column_int64(s, 10);
            if (op.f == LIN_F_READ) op.value = (char *)column_text(s, 6);
        }
        if ((op.key && strlen(op.key) > LIN_VALUE_BYTES_MAX) ||
            (op.value && strlen(op.value) > LIN_VALUE_BYTES_MAX)) {
            snprintf(err, err_bytes, "op %" PRId64 ": a key or value longer than %u bytes",
                     op_id, LIN_VALUE_BYTES_MAX);
            rc = AN_HISTORY_BAD;
        } else if (lin_history_add(h, &op) != 0) {
            snprintf(err, err_bytes, "more than %u operations (or out of memory)", LIN_OPS_MAX);
            rc = AN_HISTORY_BAD;
        }
    }
    if (rc == AN_HISTORY_OK && step != SQLITE_DONE) {
        snprintf(err, err_bytes, "reading ops: %s", sqlite3_errmsg(sq));
        rc = AN_HISTORY_IO;
    }
    sqlite3_finalize(s);
    return rc;
}

/* --- a JSONL file ------------------------------------------------------------------------ */

/* A scalar as text into out: a string as is, an integer in decimal, null as NULL.
 * Returns 0, or -1 for another type or one too long. */
static int scalar_text(const json_t *v, char *out, size_t out_bytes, const char **text)
{
    if (!v || json_is_null(v)) {
        *text = NULL;
        return 0;
    }
    if (json_is_string(v)) {
        if (json_string_length(v) >= out_bytes) return -1;
        snprintf(out, out_bytes, "%s", json_string_value(v));
    } else if (json_is_integer(v)) {
        snprintf(out, out_bytes, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else return -1;
    *text = out;
    return 0;
}

/* The value as text; a two-element array [OLD, NEW] (a Jepsen cas) reads "OLD NEW". */
static int value_text(const json_t *v, char *out, size_t out_bytes, const char **text)
{
    if (!json_is_array(v)) return scalar_text(v, out, out_bytes, text);
    if (json_array_size(v) != 2) return -1;
    char a[LIN_VALUE_BYTES_MAX + 1], b[LIN_VALUE_BYTES_MAX + 1];
    const char *ta, *tb;
    if (scalar_text(json_array_get(v, 0), a, sizeof a, &ta) != 0 ||
        scalar_text(json_array_get(v, 1), b, sizeof b, &tb) != 0)
        return -1;
    if ((size_t)snprintf(out, out_bytes, "%s %s", ta ? ta : "nil", tb ? tb : "nil") >= out_bytes)
        return -1;
    *text = out;
    return 0;
}

struct jsonl {
    const char *path;
    uint64_t line;
    struct lin_history *h;
    struct sim_u64map pending; /* process + 1 -> struct lin_op * (owned) */
    size_t pending_count;
    char *err;
    size_t err_bytes;
};

static int bad(struct jsonl *j, const char *what)
{
    snprintf(j->err, j->err_bytes, "%.200s:%" PRIu64 ": %s", j->path, j->line, what);
    return AN_HISTORY_BAD;
}

static void free_op(struct lin_op *op)
{
    if (!op) return;
    free(op->key);
    free(op->value);
    free(op);
}

static int on_line(struct jsonl *j, const char *text, size_t len)
{
    json_error_t jerr;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        char what[200];
        snprintf(what, sizeof what, "not JSON: %.150s", jerr.text);
        return bad(j, what);
    }
    int rc = AN_HISTORY_OK;
    json_t *process = json_object_get(root, "process"), *type = json_object_get(root, "type"),
           *f = json_object_get(root, "f"), *time = json_object_get(root, "time");
    char key_buf[LIN_VALUE_BYTES_MAX + 1], value_buf[2 * LIN_VALUE_BYTES_MAX + 2];
    const char *key = NULL, *value = NULL;
    enum lin_f fn;
    if (!json_is_object(root)) rc = bad(j, "not a JSON object");
    else if (json_is_string(process) && strcmp(json_string_value(process), "nemesis") == 0)
        rc = AN_HISTORY_OK; /* faults, not operations */
    else if (!json_is_integer(process) || json_integer_value(process) < 0 ||
             json_integer_value(process) >= INT64_MAX)
        rc = bad(j, "\"process\" must be a non-negative integer");
    else if (!json_is_string(type))
        rc = bad(j, "\"type\" must be \"invoke\", \"ok\", \"fail\" or \"info\"");
    else if (!json_is_string(f) || parse_f(json_string_value(f), &fn) != 0)
        rc = bad(j, "\"f\" must be \"read\", \"write\" or \"cas\"");
    else if (time && !json_is_integer(time))
        rc = bad(j, "\"time\" must be an integer (ns)");
    else if (scalar_text(json_object_get(root, "key"), key_buf, sizeof key_buf, &key) != 0)
        rc = bad(j, "\"key\" must be a string or integer, at most 1024 bytes");
    else if (value_text(json_object_get(root, "value"), value_buf, sizeof value_buf,
                        &value) != 0 || (value && strlen(value) > LIN_VALUE_BYTES_MAX))
        rc = bad(j, "\"value\" must be a string, integer, null or [OLD, NEW], at most 1024"
                    " bytes");
    if (rc != AN_HISTORY_OK || !json_is_integer(process)) {
        json_decref(root);
        return rc;
    }
    uint64_t map_key = (uint64_t)json_integer_value(process) + 1;
    int64_t time_ns = time ? json_integer_value(time) : -1;
    const char *t = json_string_value(type);
    struct lin_op *open = sim_u64map_get(&j->pending, map_key);
    if (strcmp(t, "invoke") == 0) {
        if (open) rc = bad(j, "an invoke by a process that already has one open");
        else if (j->h->count + j->pending_count >= LIN_OPS_MAX)
            rc = bad(j, "more operations than a history may hold (1000000)");
        else {
            struct lin_op *op = calloc(1, sizeof *op);
            if (op) {
                *op = (struct lin_op){.process = json_integer_value(process), .f = fn,
                                      .key = key ? strdup(key) : NULL,
                                      .value = value ? strdup(value) : NULL, .is_open = true,
                                      .invoke_pos = j->line, .invoke_ns = time_ns,
                                      .complete_ns = -1};
            }
            if (!op || (key && !op->key) || (value && !op->value) ||
                sim_u64map_put(&j->pending, map_key, op) != 0) {
                free_op(op);
                rc = bad(j, "out of memory");
            } else j->pending_count++;
        }
    } else if (strcmp(t, "ok") == 0 || strcmp(t, "fail") == 0 || strcmp(t, "info") == 0) {
        if (!open) rc = bad(j, "a completion by a process with no open invoke");
        else if (open->f != fn) rc = bad(j, "a completion whose \"f\" is not its invoke's");
        else {
            sim_u64map_take(&j->pending, map_key);
            j->pending_count--;
            if (t[0] == 'o') {
                open->is_open = false;
                open->complete_pos = j->line;
                open->complete_ns = time_ns;
                if (fn == LIN_F_READ) {
                    free(open->value);
                    open->value = value ? strdup(value) : NULL;
                    if (value && !open->value) rc = bad(j, "out of memory");
                }
            }
            if (rc == AN_HISTORY_OK && t[0] != 'f' && lin_history_add(j->h, open) != 0)
                rc = bad(j, "out of memory");
            free_op(open);
        }
    } else rc = bad(j, "\"type\" must be \"invoke\", \"ok\", \"fail\" or \"info\"");
    json_decref(root);
    return rc;
}

static void add_pending(void *ctx, uint64_t key, void *value)
{
    (void)key;
    struct jsonl *j = ctx;
    if (lin_history_add(j->h, value) != 0 && !j->err[0])
        snprintf(j->err, j->err_bytes, "more than %u operations (or out of memory)",
                 LIN_OPS_MAX);
    free_op(value);
}

static void drop_pending(void *ctx, uint64_t key, void *value)
{
    (void)ctx;
    (void)key;
    free_op(value);
}

/* Reads one line (without its newline) into buf; returns its length, -1 at the end, or
 * -2 if longer than the bound (the rest of that line is skipped). Bytes are read one at
 * a time so that a NUL or an endless line cannot fool or grow anything. */
static long read_line(FILE *in, char *buf, size_t buf_bytes)
{
    size_t n = 0;
    int c;
    bool is_long = false;
    while ((c = getc(in)) != EOF && c != '\n') {
        if (n + 1 < buf_bytes) buf[n++] = (char)c;
        else is_long = true;
    }
    if (c == EOF && n == 0 && !is_long) return -1;
    buf[n] = '\0';
    return is_long ? -2 : (long)n;
}

int an_history_load_jsonl(const char *path, struct lin_history *h, char *err, size_t err_bytes)
{
    FILE *in = fopen(path, "r");
    if (!in) {
        snprintf(err, err_bytes, "cannot open %.200s: %s", path, strerror(errno));
        return AN_HISTORY_IO;
    }
    struct jsonl j = {.path = path, .h = h, .err = err, .err_bytes = err_bytes};
    err[0] = '\0';
    char *line = malloc(AN_HISTORY_LINE_BYTES_MAX + 1);
    int rc = line ? AN_HISTORY_OK : bad(&j, "out of memory");
    long len;
    while (rc == AN_HISTORY_OK && (len = read_line(in, line, AN_HISTORY_LINE_BYTES_MAX + 1)) != -1) {
        j.line++;
        if (len == -2) {
            rc = bad(&j, "a line longer than 65536 bytes");
            break;
        }
        size_t n = (size_t)len;
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t')) n--;
        size_t start = 0;
        while (start < n && (line[start] == ' ' || line[start] == '\t')) start++;
        if (start == n) continue; /* blank */
        rc = on_line(&j, line + start, n - start);
    }
    if (rc == AN_HISTORY_OK && ferror(in)) {
        snprintf(err, err_bytes, "reading %.200s: %s", path, strerror(errno));
        rc = AN_HISTORY_IO;
    }
    free(line);
    fclose(in);
    if (rc == AN_HISTORY_OK) {
        sim_u64map_each_sorted(&j.pending, add_pending, &j); /* open at the end: info */
        if (err[0]) rc = AN_HISTORY_BAD;
    } else sim_u64map_each_sorted(&j.pending, drop_pending, &j);
    sim_u64map_free(&j.pending);
    return rc;
}
