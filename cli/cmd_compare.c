/* cli/cmd_compare.c - `murphy compare`: two runs' numbers side by side, from two databases
 * or two runs of one. The rows come from analysis/compare.c; this file picks the runs and
 * prints. */
#include "cli.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/compare.h"

static const char usage[] =
    "usage: murphy compare A.db [B.db] [--run-a ID] [--run-b ID] [--changed] [--tsv]\n"
    "\n"
    "Puts two recorded runs side by side: run facts, messages by fate, operations with\n"
    "their latency percentiles, timeouts by cause, faults and pauses, and every metric the\n"
    "oracles wrote, one row per name, with B - A. Most lessons are 'with vs without':\n"
    "  murphy run fencing-token --db f.db; murphy run fencing-token --db f.db \\\n"
    "      --set node.store.fencing=false; murphy compare f.db\n"
    "  A.db B.db      compare the newest run of each (or --run-a / --run-b)\n"
    "  A.db alone     compare its two newest runs (older as A), or --run-a / --run-b\n"
    "  --changed      only the rows whose values differ\n"
    "  --tsv          section, name, A, B, unit as tab-separated lines, exact numbers\n"
    "                 (durations in ns; an empty cell: that run has no such row)\n"
    "exit status: 0, 2 bad usage (or one database with a single run), 3 unreadable record\n";

struct compare_args {
    const char *db_path[AN_CMP_SIDES];
    uint64_t run_id[AN_CMP_SIDES]; /* 0: chosen as the usage says */
    bool is_changed_only;
    bool is_tsv;
};

static int parse_args(int argc, char **argv, struct compare_args *a)
{
    *a = (struct compare_args){0};
    int status = CLI_EXIT_OK, path_count = 0;
    for (int i = 1; i < argc && status == CLI_EXIT_OK; i++) {
        const char *v = NULL;
        if (cli_opt(argc, argv, &i, "--run-a", &v, &status)) {
            if (v && (cli_parse_u64(v, "--run-a", &a->run_id[0]) != 0 || a->run_id[0] == 0))
                status = CLI_EXIT_USAGE;
        } else if (cli_opt(argc, argv, &i, "--run-b", &v, &status)) {
            if (v && (cli_parse_u64(v, "--run-b", &a->run_id[1]) != 0 || a->run_id[1] == 0))
                status = CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "--changed") == 0) {
            a->is_changed_only = true;
        } else if (strcmp(argv[i], "--tsv") == 0) {
            a->is_tsv = true;
        } else if (argv[i][0] == '-' || path_count == AN_CMP_SIDES) {
            cli_error("compare: unexpected '%s' (see murphy compare --help)", argv[i]);
            status = CLI_EXIT_USAGE;
        } else {
            a->db_path[path_count++] = argv[i];
        }
    }
    if (status == CLI_EXIT_OK && path_count == 0) {
        cli_error("compare: which database(s)? (see murphy compare --help)");
        status = CLI_EXIT_USAGE;
    }
    if (path_count == 1) a->db_path[1] = a->db_path[0];
    return status;
}

/* With one database and a side left open: A is the run before B (B the newest, or the
 * one given). Returns the exit status. */
static int pick_runs(struct compare_args *a)
{
    if (strcmp(a->db_path[0], a->db_path[1]) != 0 || a->run_id[0] != 0) return CLI_EXIT_OK;
    struct an_db *db = NULL;
    struct an_run b;
    int status = cli_open_run(a->db_path[1], a->run_id[1], &db, &b);
    if (status != CLI_EXIT_OK) return status;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(an_db_sqlite(db), "SELECT max(id) FROM runs WHERE id < ?1", -1, &s,
                           NULL) != SQLITE_OK) {
        cli_error("%s: %s", a->db_path[0], sqlite3_errmsg(an_db_sqlite(db)));
        status = CLI_EXIT_IO;
    } else {
        sqlite3_bind_int64(s, 1, b.id);
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_INTEGER) {
            a->run_id[0] = (uint64_t)sqlite3_column_int64(s, 0);
            a->run_id[1] = (uint64_t)b.id;
        } else {
            cli_error("compare: %s has no run before run %" PRId64 " to compare it with; give"
                      " two databases or --run-a", a->db_path[0], b.id);
            status = CLI_EXIT_USAGE;
        }
    }
    sqlite3_finalize(s);
    an_run_free(&b);
    an_db_close(db);
    return status;
}

static void print_side(char letter, const char *db_path, const struct an_run *run)
{
    char path[256], scenario[96], status[32], buf[256];
    printf("%c: run %" PRId64 " of %s: %s, seed %" PRIu64 ", %s", letter, run->id,
           cli_safe(db_path, path, sizeof path), cli_safe(run->scenario, scenario, sizeof scenario),
           run->seed, cli_safe(run->status, status, sizeof status));
    if (run->override_count == 0) printf(", no overrides");
    for (size_t i = 0; i < run->override_count; i++)
        printf("%s--set %s", i ? " " : ", ", cli_safe(run->overrides[i], buf, sizeof buf));
    printf("\n");
}

static const char *format_value(const struct an_cmp_row *row, int side, char *out,
                                size_t out_bytes)
{
    if (!row->has[side]) return "-";
    double v = row->value[side];
    if (row->unit == AN_CMP_NS && isfinite(v) && fabs(v) < 9e18) an_format_time((int64_t)llround(v), out, out_bytes);
    else if (row->unit == AN_CMP_COUNT) snprintf(out, out_bytes, "%.0f", v);
    else snprintf(out, out_bytes, "%.6g", v);
    return out;
}

/* For --tsv: exact numbers (ns as integers), for notebooks rather than eyes. */
static const char *format_raw(const struct an_cmp_row *row, int side, char *out,
                              size_t out_bytes)
{
    if (!row->has[side]) return "";
    if (row->unit == AN_CMP_VALUE) snprintf(out, out_bytes, "%.17g", row->value[side]);
    else snprintf(out, out_bytes, "%.0f", row->value[side]);
    return out;
}

/* B - A, "=" when equal, with the ratio B/A when A is not 0. */
static const char *format_change(const struct an_cmp_row *row, char *out, size_t out_bytes)
{
    if (!row->has[0] || !row->has[1]) return "";
    if (an_cmp_row_is_same(row)) return "=";
    struct an_cmp_row diff = *row;
    diff.value[0] = row->value[1] - row->value[0];
    char d[48];
    format_value(&diff, 0, d, sizeof d);
    if (row->value[0] != 0)
        snprintf(out, out_bytes, "%s%s  (x%.4g)", diff.value[0] > 0 ? "+" : "", d,
                 row->value[1] / row->value[0]);
    else snprintf(out, out_bytes, "%s%s", diff.value[0] > 0 ? "+" : "", d);
    return out;
}

static void print_rows(const struct an_compare *cmp, const struct compare_args *a)
{
    const char *section = "";
    if (!a->is_tsv) printf("\n%-44s %18s %18s  %s\n", "", "A", "B", "B - A");
    for (size_t i = 0; i < cmp->count; i++) {
        const struct an_cmp_row *row = &cmp->rows[i];
        if (a->is_changed_only && an_cmp_row_is_same(row)) continue;
        char name[256], va[48], vb[48], change[96];
        cli_safe(row->name, name, sizeof name);
        if (a->is_tsv) {
            char unit[48];
            printf("%s\t%s\t%s\t%s\t%s\n", row->section, name,
                   format_raw(row, 0, va, sizeof va), format_raw(row, 1, vb, sizeof vb),
                   row->unit_text[0] ? cli_safe(row->unit_text, unit, sizeof unit)
                   : row->unit == AN_CMP_NS ? "ns" : "count");
            continue;
        }
        if (strcmp(section, row->section) != 0) {
            section = row->section;
            printf("%s\n", section);
        }
        printf("  %-42s %18s %18s  %s\n", name, format_value(row, 0, va, sizeof va),
               format_value(row, 1, vb, sizeof vb), format_change(row, change, sizeof change));
    }
}

int cmd_compare(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    struct compare_args a;
    int status = parse_args(argc, argv, &a);
    if (status == CLI_EXIT_OK) status = pick_runs(&a);
    if (status != CLI_EXIT_OK) return status;
    struct an_db *db[AN_CMP_SIDES] = {0};
    struct an_run run[AN_CMP_SIDES];
    struct an_report *report = calloc(1, sizeof *report);
    struct an_compare cmp = {0};
    char err[AN_ERR_BYTES];
    int opened = 0;
    if (!report) {
        cli_error("out of memory");
        return CLI_EXIT_IO;
    }
    for (int side = 0; side < AN_CMP_SIDES && status == CLI_EXIT_OK; side++) {
        status = cli_open_run(a.db_path[side], a.run_id[side], &db[side], &run[side]);
        if (status != CLI_EXIT_OK) break;
        opened++;
        if (an_report_build(db[side], &run[side], report, err, sizeof err) != 0 ||
            an_compare_add(&cmp, side, db[side], &run[side], report, err, sizeof err) != 0) {
            cli_error("%s: %s", a.db_path[side], err);
            status = CLI_EXIT_IO;
        }
    }
    if (status == CLI_EXIT_OK) {
        if (!a.is_tsv) {
            print_side('A', a.db_path[0], &run[0]);
            print_side('B', a.db_path[1], &run[1]);
        }
        print_rows(&cmp, &a);
    }
    for (int side = 0; side < opened; side++) {
        an_run_free(&run[side]);
        an_db_close(db[side]);
    }
    an_compare_free(&cmp);
    free(report);
    return status;
}
