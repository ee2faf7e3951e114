/* tests/cli/test_export.c - proves `murphy export`:
 * - shiviz: the two header lines ShiViz expects, then per event of a node (clock samples
 *   left out) a description and a "host {clock}" line; every host's own entry counts its
 *   events 1, 2, 3...; every delivery's clock is at least its send's clock entry-wise
 *   (causality follows the message), checked by parsing the output independently;
 *   hostile node names (a no-break space, a line separator, names equal once made
 *   visible ASCII) give visible-ASCII hosts, each counting only its own node's events;
 * - jsonl: one line per invoke and per completion (counted against the ops table), and
 *   `murphy check --history` on it gives the same verdict and operation count as
 *   `murphy check` on the run;
 * - csv: a header and one record per row, every record with the header's field count
 *   under an RFC 4180 reader written here (violation texts hold commas and quotes);
 * - bad usage exits 2, an unwritable file 3. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

TestSuite(export, .init = tmp_setup, .fini = tmp_teardown);

#define HOSTS_MAX 16

/* One parsed ShiViz clock line: "host {"a":1,"b":2}". */
struct vc_line {
    char host[64];
    char names[HOSTS_MAX][64];
    uint64_t counts[HOSTS_MAX];
    int count;
};

static uint64_t vc_get(const struct vc_line *v, const char *name)
{
    for (int i = 0; i < v->count; i++)
        if (strcmp(v->names[i], name) == 0) return v->counts[i];
    return 0;
}

static void parse_vc(const char *line, struct vc_line *v)
{
    *v = (struct vc_line){0};
    const char *sp = strchr(line, ' ');
    cr_assert_not_null(sp, "no host in '%.80s'", line);
    snprintf(v->host, sizeof v->host, "%.*s", (int)(sp - line), line);
    const char *p = sp + 1;
    cr_assert_eq(*p, '{', "'%.80s'", line);
    p++;
    while (*p == '"') {
        const char *end = strchr(p + 1, '"');
        cr_assert_not_null(end);
        cr_assert_lt(v->count, HOSTS_MAX);
        snprintf(v->names[v->count], sizeof v->names[0], "%.*s", (int)(end - p - 1), p + 1);
        cr_assert_eq(end[1], ':');
        char *after = NULL;
        v->counts[v->count++] = strtoull(end + 2, &after, 10);
        p = after;
        if (*p == ',') p++;
    }
    cr_assert_eq(*p, '}', "'%.80s'", line);
}

Test(export, shiviz_clocks_count_each_host_and_follow_every_message)
{
    const char *db = tmp_path("r.db"), *out = tmp_path("r.shiviz");
    const char *const shorter[] = {"--set", "scenario.duration=2s", NULL};
    struct recorded rec = record_run_argv(db, "lww-skew", 1, RUN_EXIT_OK_OR_VIOLATED, shorter);
    struct spawn_result r;
    murphy(&r, "export", db, "--format", "shiviz", "--out", out, NULL);
    assert_exit(&r, 0);
    spawn_result_free(&r);
    char *text = read_file(out, NULL);
    cr_assert_not_null(text);
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    cr_assert(line && strstr(line, "(?<host>") && strstr(line, "(?<clock>") && strstr(line, "(?<event>"),
              "first line is the parser regex: %s", line);
    /* the delimiter line is empty: strtok skips it, so check the raw text */
    cr_assert(strstr(line + strlen(line) + 1, "\n") == line + strlen(line) + 1,
              "second line is the (empty) delimiter");
    struct vc_line sends[4096];
    uint64_t send_msg[4096];
    int send_count = 0;
    struct vc_line hosts_last[HOSTS_MAX];
    int host_count = 0;
    uint64_t event_lines = 0, deliveries_checked = 0;
    while ((line = strtok_r(NULL, "\n", &save))) {
        char *what = line;
        char *clock_line = strtok_r(NULL, "\n", &save);
        cr_assert_not_null(clock_line, "an event without its clock line");
        event_lines++;
        struct vc_line v;
        parse_vc(clock_line, &v);
        /* the host's own entry counts its events one by one */
        int h = 0;
        while (h < host_count && strcmp(hosts_last[h].host, v.host) != 0) h++;
        uint64_t before = h < host_count ? vc_get(&hosts_last[h], v.host) : 0;
        cr_assert_eq(vc_get(&v, v.host), before + 1, "%s: %s", v.host, what);
        if (h == host_count) host_count++;
        cr_assert_leq(host_count, HOSTS_MAX);
        hosts_last[h] = v;
        uint64_t msg = 0;
        if (sscanf(what, "send %*s msg %" SCNu64, &msg) == 1 && send_count < 4096) {
            sends[send_count] = v;
            send_msg[send_count++] = msg;
        } else if (sscanf(what, "deliver %*s msg %" SCNu64, &msg) == 1) {
            for (int i = 0; i < send_count; i++) {
                if (send_msg[i] != msg) continue;
                for (int k = 0; k < sends[i].count; k++)
                    cr_assert_geq(vc_get(&v, sends[i].names[k]), sends[i].counts[k],
                                  "delivery of msg %" PRIu64 " does not know its send", msg);
                deliveries_checked++;
                break;
            }
        }
    }
    text_free(text);
    sqlite3 *h = db_open(db, false);
    int64_t node_events = db_int(h, "SELECT count(*) FROM events WHERE run_id = ?1 AND node IS"
                                    " NOT NULL AND kind <> 'clock_sample'", rec.run_id, 0);
    db_close(h);
    cr_assert_eq((int64_t)event_lines, node_events);
    cr_assert_eq(host_count, 7, "3 replicas, 3 writers, a reader");
    cr_assert_gt(deliveries_checked, 500, "checked %" PRIu64 " deliveries", deliveries_checked);
}

Test(export, jsonl_reads_back_with_the_same_verdict)
{
    const char *db = tmp_path("r.db"), *out = tmp_path("r.jsonl");
    struct recorded rec = record_run_argv(db, "lww-skew", 1, RUN_EXIT_OK_OR_VIOLATED, NULL);
    struct spawn_result r, from_db, from_file;
    murphy(&r, "export", db, "--format", "jsonl", "--out", out, NULL);
    assert_exit(&r, 0);
    spawn_result_free(&r);
    sqlite3 *h = db_open(db, false);
    int64_t lines = db_int(h, "SELECT count(*) + count(complete_seq) FROM ops WHERE run_id = ?1",
                           rec.run_id, 0);
    db_close(h);
    char *text = read_file(out, NULL);
    cr_assert_not_null(text);
    cr_assert_eq((int64_t)count_lines_with(text, "{\"process\":"), lines);
    cr_assert_gt(lines, 1000);
    text_free(text);
    murphy(&from_db, "check", db, NULL);
    murphy(&from_file, "check", "--history", out, NULL);
    cr_assert(from_db.has_exited && from_file.has_exited);
    cr_assert_eq(from_db.exit_code, from_file.exit_code, "db: %s\nfile: %s", from_db.out,
                 from_file.out);
    char a[128], b[128];
    cr_assert(line_value(from_db.out, "register model", a, sizeof a));
    cr_assert(line_value(from_file.out, "register model", b, sizeof b));
    cr_assert_str_eq(a, b, "same operations, steps and memory");
    spawn_result_free(&from_db);
    spawn_result_free(&from_file);
}

/* Counts RFC 4180 records and asserts each has `fields` fields; returns the records. */
static size_t csv_records(const char *text, int *fields_of_first)
{
    size_t records = 0;
    int fields = 1;
    bool in_quotes = false;
    for (const char *p = text; *p; p++) {
        if (in_quotes) {
            if (*p == '"' && p[1] == '"') p++;
            else if (*p == '"') in_quotes = false;
        } else if (*p == '"') {
            in_quotes = true;
        } else if (*p == ',') {
            fields++;
        } else if (*p == '\n') {
            if (records == 0) *fields_of_first = fields;
            else cr_assert_eq(fields, *fields_of_first, "record %zu", records);
            records++;
            fields = 1;
        }
    }
    cr_assert(!in_quotes, "an unterminated quote");
    return records;
}

Test(export, csv_has_a_record_per_row_and_quotes_what_needs_it)
{
    const char *db = tmp_path("r.db");
    const char *const unfenced[] = {"--set", "node.store.fencing=false", NULL};
    struct recorded rec = record_run_argv(db, "fencing-token", 1, 1, unfenced);
    struct spawn_result r;
    murphy(&r, "export", db, "--format", "csv", NULL);
    assert_exit(&r, 0);
    int fields = 0;
    cr_assert_eq(csv_records(r.out, &fields), rec.events + 1, "a header and every event");
    cr_assert_eq(fields, 13);
    spawn_result_free(&r);
    murphy(&r, "export", db, "--format", "csv", "--table", "violations", NULL);
    assert_exit(&r, 0);
    cr_assert_eq(csv_records(r.out, &fields), 5, "a header and 4 lost updates");
    cr_assert(strstr(r.out, "\"lost update: client.") != NULL, "texts with commas are quoted");
    spawn_result_free(&r);
}

Test(export, bad_usage_exits_2_and_an_unwritable_file_3)
{
    const char *db = tmp_path("r.db");
    const char *const shorter[] = {"--set", "scenario.duration=1s", NULL};
    record_run_argv(db, "lww-skew", 1, RUN_EXIT_OK_OR_VIOLATED, shorter);
    struct spawn_result r;
    murphy(&r, "export", db, NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
    murphy(&r, "export", db, "--format", "xml", NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
    murphy(&r, "export", db, "--format", "csv", "--table", "runs; DROP TABLE events", NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
    murphy(&r, "export", db, "--format", "jsonl", "--table", "ops", NULL);
    assert_exit(&r, 2);
    spawn_result_free(&r);
    murphy(&r, "export", db, "--format", "csv", "--out", tmp_path("no/such/dir.csv"), NULL);
    assert_exit(&r, 3);
    spawn_result_free(&r);
}

/* ShiViz reads a host as \S* and keys the clocks by host: names with a no-break space or
 * a line separator (which JavaScript's \S does not match), or that become equal once made
 * visible ASCII, get a visible-ASCII host ending in "#INDEX"; a plain unique name stays. */
Test(export, shiviz_hosts_are_visible_ascii_and_unique_for_hostile_names)
{
    const char *db = tmp_path("h.db"), *out = tmp_path("h.shiviz");
    const char *const shorter[] = {"--set", "scenario.duration=1s", NULL};
    struct recorded rec = record_run_argv(db, "lww-skew", 1, RUN_EXIT_OK_OR_VIOLATED, shorter);
    sqlite3 *h = db_open(db, true);
    /* nodes 0..3 become: "a<NBSP>b", "a b", "x<LS>y", "a_b" */
    cr_assert_eq(db_exec(h, "UPDATE nodes SET name = CASE node WHEN 0 THEN 'a' || char(160) ||"
                            " 'b' WHEN 1 THEN 'a b' WHEN 2 THEN 'x' || char(8232) || 'y' ELSE"
                            " 'a_b' END WHERE run_id = ?1 AND node <= 3", rec.run_id, 0), 4);
    int64_t own[4];
    for (int64_t n = 0; n < 4; n++)
        own[n] = db_int(h, "SELECT count(*) FROM events WHERE run_id = ?1 AND node = ?2 AND"
                           " kind <> 'clock_sample'", rec.run_id, n);
    db_close(h);
    struct spawn_result r;
    murphy(&r, "export", db, "--format", "shiviz", "--out", out, NULL);
    assert_exit(&r, 0);
    spawn_result_free(&r);
    char *text = read_file(out, NULL);
    cr_assert_not_null(text);
    cr_assert_null(strstr(text, "\xc2\xa0"), "no raw U+00A0");
    cr_assert_null(strstr(text, "\xe2\x80\xa8"), "no raw U+2028");
    const char *const hosts[4] = {"a__b#0", "a_b#1", "x___y#2", "a_b"};
    int64_t lines[4] = {0};
    int64_t clock_lines = 0;
    char *save = NULL;
    strtok_r(text, "\n", &save); /* the parser regex */
    for (char *what; (what = strtok_r(NULL, "\n", &save));) {
        char *clock_line = strtok_r(NULL, "\n", &save);
        cr_assert_not_null(clock_line, "an event without its clock line: %s", what);
        clock_lines++;
        struct vc_line v;
        parse_vc(clock_line, &v);
        for (const char *c = v.host; *c; c++)
            cr_assert((unsigned char)*c >= 0x21 && (unsigned char)*c <= 0x7e, "host '%s'",
                      v.host);
        for (int i = 0; i < v.count; i++)
            for (const char *c = v.names[i]; *c; c++)
                cr_assert((unsigned char)*c >= 0x21 && (unsigned char)*c <= 0x7e, "key '%s'",
                          v.names[i]);
        for (int n = 0; n < 4; n++)
            if (strcmp(v.host, hosts[n]) == 0) {
                lines[n]++;
                /* its own entry counts its events: two hosts never share an entry */
                cr_assert_eq(vc_get(&v, hosts[n]), (uint64_t)lines[n], "%s", clock_line);
            }
    }
    text_free(text);
    cr_assert_gt(clock_lines, 100, "%" PRId64, clock_lines);
    for (int n = 0; n < 4; n++) {
        cr_assert_gt(own[n], 0, "node %d has events", n);
        cr_assert_eq(lines[n], own[n], "host %s: %" PRId64 " lines, node %d has %" PRId64
                     " events", hosts[n], lines[n], n, own[n]);
    }
}
