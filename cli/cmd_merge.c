/* cli/cmd_merge.c - `murphy merge`: folds the shards of one sweep (murphy sweep --shard K/N)
 * into one database and prints the table a single process would have printed. */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sweep.h"

static const char usage[] =
    "usage: murphy merge OUT.db IN.db...\n"
    "\n"
    "Folds the newest sweep of each IN.db (the shards of `murphy sweep --shard K/N`) into\n"
    "one sweep stored in OUT.db, and prints its table. Shards of different sweeps (another\n"
    "scenario text, fixed settings, grid, seeds or --model-lib libraries) are refused, and\n"
    "so is a (point, seed) found twice with different results, and so is an unfinished\n"
    "(interrupted) shard.\n"
    "The rows are sorted by (point, seed) before anything is summed, so the table equals\n"
    "the one a single process prints.\n"
    "\n"
    "exit status: 0 merged, 2 bad usage or shards that do not belong together, 3 database\n"
    "error\n";

static bool same_text(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* Model libraries: NULL (a shard stored before sweeps.model_libs) only matches NULL. */
static bool same_libs(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

/* A shard's libraries on stderr; the text comes from a database, so made safe to print. */
static void say_libs(const char *path, const char *libs)
{
    fprintf(stderr, "murphy: %s ran with ", path);
    if (!libs) fputs("unrecorded model libraries (a shard from before they were stored)", stderr);
    else if (!*libs) fputs("no model libraries", stderr);
    else cli_print_safe(stderr, libs);
    fputc('\n', stderr);
}

/* Why shard b cannot join sweep a, or NULL. */
static const char *mismatch(const struct sweep_spec *a, const struct sweep_spec *b)
{
    if (!same_text(a->scenario_text, b->scenario_text)) return "another scenario text";
    if (!same_text(a->base_overrides, b->base_overrides)) return "other fixed --set values";
    if (!same_text(a->grid, b->grid) || a->point_count != b->point_count) return "another grid";
    if (!same_text(a->seeds, b->seeds) || a->seed_count != b->seed_count) return "other seeds";
    if (!same_libs(a->model_libs, b->model_libs)) return "other model libraries";
    for (uint32_t p = 0; p < a->point_count; p++)
        if (*a->point_overrides[p] && *b->point_overrides[p] &&
            !same_text(a->point_overrides[p], b->point_overrides[p]))
            return "other settings at the same point";
    return NULL;
}

static bool same_row(const struct sweep_row *x, const struct sweep_row *y)
{
    if (x->event_hash != y->event_hash || x->event_count != y->event_count ||
        x->violations != y->violations || x->metric_count != y->metric_count)
        return false;
    for (size_t m = 0; m < x->metric_count; m++)
        if (memcmp(&x->metrics[m].value, &y->metrics[m].value, sizeof(double)) != 0 ||
            strcmp(x->metrics[m].name, y->metrics[m].name) != 0)
            return false;
    return true;
}

int cmd_merge(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    if (argc < 3) {
        cli_error("merge: expected OUT.db and at least one IN.db (see murphy merge --help)");
        return CLI_EXIT_USAGE;
    }
    const char *out_path = argv[1];
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], out_path) == 0 || argv[i][0] == '-') {
            cli_error("merge: '%s' cannot be an input (OUT.db is %s)", argv[i], out_path);
            return CLI_EXIT_USAGE;
        }
    struct sweep_spec spec = {0};
    struct sweep_row *all = NULL;
    size_t all_count = 0;
    int status = CLI_EXIT_OK;
    for (int i = 2; i < argc && status == CLI_EXIT_OK; i++) {
        struct sweep_spec shard;
        struct sweep_row *rows = NULL;
        size_t count = 0;
        status = sweep_store_read(argv[i], 0, &shard, &rows, &count);
        if (status != CLI_EXIT_OK) break;
        const char *why = i == 2 ? NULL : mismatch(&spec, &shard);
        if (!shard.is_complete) {
            cli_error("merge: the sweep in %s is unfinished (interrupted); run its command"
                      " again to resume it, then merge", argv[i]);
            status = CLI_EXIT_USAGE;
        } else if (why) {
            cli_error("merge: %s is a shard of another sweep than %s (%s); refusing", argv[i],
                      argv[2], why);
            if (!same_libs(spec.model_libs, shard.model_libs)) { /* which: "PATH SHA256" */
                say_libs(argv[2], spec.model_libs);
                say_libs(argv[i], shard.model_libs);
            }
            status = CLI_EXIT_USAGE;
        }
        struct sweep_row *grown =
            status == CLI_EXIT_OK ? realloc(all, (all_count + count) * sizeof *all + 1) : NULL;
        if (status == CLI_EXIT_OK && !grown) status = CLI_EXIT_IO;
        if (status == CLI_EXIT_OK) {
            all = grown;
            memcpy(all + all_count, rows, count * sizeof *rows);
            all_count += count;
            free(rows); /* the metrics moved to all */
            rows = NULL;
            count = 0;
            if (i == 2) {
                spec = shard;
                memset(&shard, 0, sizeof shard);
            } else {
                for (uint32_t p = 0; p < spec.point_count; p++)
                    if (!*spec.point_overrides[p] && *shard.point_overrides[p]) {
                        char *t = spec.point_overrides[p];
                        spec.point_overrides[p] = shard.point_overrides[p];
                        shard.point_overrides[p] = t;
                    }
            }
        }
        sweep_rows_free(rows, count);
        sweep_spec_free(&shard);
    }
    if (status == CLI_EXIT_OK) {
        sweep_rows_sort(all, all_count);
        size_t kept = 0;
        for (size_t i = 0; i < all_count; i++) {
            if (kept && all[kept - 1].point == all[i].point && all[kept - 1].seed == all[i].seed) {
                if (!same_row(&all[kept - 1], &all[i])) {
                    if (status == CLI_EXIT_OK)
                        cli_error("merge: point %" PRIu32 " seed %" PRIu64 " appears twice with "
                              "different results; refusing", all[i].point, all[i].seed);
                    status = CLI_EXIT_USAGE;
                }
                free(all[i].metrics);
                all[i].metrics = NULL;
                continue;
            }
            all[kept++] = all[i];
        }
        all_count = kept; /* the rest were freed above */
        if (status == CLI_EXIT_OK) {
            int64_t sweep_id = 0;
            status = sweep_store_write(out_path, &spec, "merged", all, all_count, &sweep_id);
            if (status == CLI_EXIT_OK) {
                uint64_t expected = (uint64_t)spec.point_count * spec.seed_count;
                if (all_count < expected)
                    fprintf(stderr, "murphy: warning: %" PRIu64 " of %" PRIu64
                                    " runs are missing (a shard not given?)\n",
                            expected - all_count, expected);
                cli_sweep_summary(stdout, &spec, all, all_count, -1, false);
                printf("sweep: %" PRId64 " in %s (merged from %d shards)\n", sweep_id, out_path,
                       argc - 2);
            }
        }
    }
    sweep_rows_free(all, all_count);
    sweep_spec_free(&spec);
    return status;
}
