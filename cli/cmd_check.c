/* cli/cmd_check.c - `murphy check`: is a recorded run's history of operations (or a JSONL
 * file of Jepsen-style operations) linearizable for a register or a key-value map? */
#include "cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/history.h"
#include "analysis/linearizability.h"

static const char usage[] =
    "usage: murphy check DB [--run ID] [--model register|kv] [--budget STEPS] [--memory MIB]\n"
    "       murphy check --history FILE.jsonl [--model register|kv] [...]\n"
    "\n"
    "Checks that a history of operations is linearizable: that every operation which\n"
    "completed ok took effect at one instant between its invoke and its completion, in an\n"
    "order that explains every result. A failed operation never took effect; an info one\n"
    "(a timeout) may or may not have, at any time after its invoke.\n"
    "  DB                the ops of a recorded run (the newest unless --run)\n"
    "  --history FILE    one JSON object a line: {\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\n"
    "                    \"key\":\"x\",\"value\":3,\"time\":123} (type invoke|ok|fail|info; an ok\n"
    "                    read's value is what it read; time in ns is optional)\n"
    "  --model register  one register, initially nil: f write (value), read (the value read;\n"
    "                    nil or empty for the initial one; \"V@VERSION\" reads as V), cas\n"
    "                    (value \"OLD NEW\" or [OLD, NEW]) (the default)\n"
    "  --model kv        a register per key, each checked alone\n"
    "  --budget STEPS    search steps before giving up (default 20000000)\n"
    "  --memory MIB      bound on the search's memo (default 256)\n"
    "On a violation it prints the smallest prefix of the failing history (by completion)\n"
    "that is not linearizable.\n"
    "\n"
    "exit status: 0 linearizable, 1 not linearizable, 2 bad usage or input, 3 I/O or\n"
    "database error, 5 unknown (a bound was hit)\n";

#define WITNESS_PRINT_MAX 40

struct check_args {
    const char *db_path, *history_path;
    uint64_t run_id;
    enum lin_model model;
    struct lin_limits limits;
};

static int parse_args(int argc, char **argv, struct check_args *a)
{
    *a = (struct check_args){.model = LIN_MODEL_REGISTER,
                             .limits = {LIN_STEP_BUDGET_DEFAULT, LIN_MEMO_BYTES_DEFAULT}};
    int status = CLI_EXIT_OK;
    for (int i = 1; i < argc && status == CLI_EXIT_OK; i++) {
        const char *v = NULL;
        uint64_t n = 0;
        if (cli_opt(argc, argv, &i, "--run", &v, &status)) {
            if (v && cli_parse_u64(v, "--run", &a->run_id) != 0) status = CLI_EXIT_USAGE;
        } else if (cli_opt(argc, argv, &i, "--history", &v, &status)) {
            a->history_path = v;
        } else if (cli_opt(argc, argv, &i, "--model", &v, &status)) {
            if (v && lin_model_parse(v, &a->model) != 0) {
                cli_error("check: --model takes 'register' or 'kv', got '%.60s'", v);
                status = CLI_EXIT_USAGE;
            }
        } else if (cli_opt(argc, argv, &i, "--budget", &v, &status)) {
            if (v && (cli_parse_u64(v, "--budget", &n) != 0 || n == 0)) {
                if (n == 0) cli_error("check: --budget must be at least 1");
                status = CLI_EXIT_USAGE;
            }
            a->limits.step_budget = n;
        } else if (cli_opt(argc, argv, &i, "--memory", &v, &status)) {
            if (v && (cli_parse_u64(v, "--memory", &n) != 0 || n == 0 || n > (1u << 20))) {
                cli_error("check: --memory must be within [1, 1048576] MiB");
                status = CLI_EXIT_USAGE;
            }
            a->limits.memo_bytes_max = n << 20;
        } else if (argv[i][0] == '-' || a->db_path) {
            cli_error("check: unexpected '%s' (see murphy check --help)", argv[i]);
            status = CLI_EXIT_USAGE;
        } else a->db_path = argv[i];
    }
    if (status != CLI_EXIT_OK) return status;
    if (!a->db_path == !a->history_path) {
        cli_error("check: give a database or --history FILE, one of them (see murphy check"
                  " --help)");
        return CLI_EXIT_USAGE;
    }
    if (a->history_path && a->run_id) {
        cli_error("check: --run is for a database, not --history");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

static const char *f_name(enum lin_f f)
{
    return f == LIN_F_READ ? "read" : f == LIN_F_WRITE ? "write" : "cas";
}

static const char *time_text(int64_t ns, char *out, size_t out_bytes)
{
    if (ns < 0) return "-";
    return an_format_time(ns, out, out_bytes);
}

static void print_op(const struct lin_op *op, bool is_open_at_cut, const char *pos_name,
                     bool is_failing)
{
    char key[64], value[80], t1[40], t2[40];
    const char *shown = op->value ? op->value : (op->f == LIN_F_READ ? "nil" : "");
    printf("  %s process %-5" PRId64 " %-5s %-14s %-20s invoked %s (%s %" PRIu64 ")",
           is_failing ? "->" : "  ", op->process, f_name(op->f),
           op->key ? cli_safe(op->key, key, sizeof key) : "",
           cli_safe(shown, value, sizeof value), time_text(op->invoke_ns, t1, sizeof t1),
           pos_name, op->invoke_pos);
    if (op->is_open) printf(", info (may or may not have happened)\n");
    else if (is_open_at_cut) printf(", still open at the cut\n");
    else printf(", ok %s (%s %" PRIu64 ")\n", time_text(op->complete_ns, t2, sizeof t2),
                pos_name, op->complete_pos);
}

static void print_violation(const struct lin_history *h, const struct lin_result *r,
                            const char *pos_name)
{
    char key[80];
    printf("NOT linearizable");
    if (r->key) printf(" (key %s)", cli_safe(r->key, key, sizeof key));
    const struct lin_op *last = &h->ops[r->failing_op];
    printf(": no order of these %zu operations explains every result; the smallest failing"
           " prefix ends with the completion of process %" PRId64 "'s %s (%s %" PRIu64 "):\n",
           r->witness_count, last->process, f_name(last->f), pos_name, last->complete_pos);
    size_t first = r->witness_count > WITNESS_PRINT_MAX ? r->witness_count - WITNESS_PRINT_MAX
                                                        : 0;
    if (first) printf("  ... %zu earlier operations not shown\n", first);
    for (size_t i = first; i < r->witness_count; i++)
        print_op(&h->ops[r->witness[i]], r->witness_is_open[i], pos_name,
                 r->witness[i] == r->failing_op);
}

int cmd_check(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    struct check_args a;
    int status = parse_args(argc, argv, &a);
    if (status != CLI_EXIT_OK) return status;

    struct lin_history h = {0};
    char err[AN_ERR_BYTES];
    int rc;
    const char *pos_name = a.history_path ? "line" : "seq";
    if (a.history_path) {
        rc = an_history_load_jsonl(a.history_path, &h, err, sizeof err);
    } else {
        struct an_db *db = NULL;
        struct an_run run;
        status = cli_open_run(a.db_path, a.run_id, &db, &run);
        if (status != CLI_EXIT_OK) return status;
        rc = an_history_load_run(db, &run, &h, err, sizeof err);
        an_run_free(&run);
        an_db_close(db);
    }
    if (rc != AN_HISTORY_OK) {
        cli_error("check: %s", err);
        lin_history_free(&h);
        return rc == AN_HISTORY_IO ? CLI_EXIT_IO : CLI_EXIT_USAGE;
    }

    struct lin_result r;
    if (lin_check(&h, a.model, &a.limits, &r, err, sizeof err) != 0) {
        cli_error("check: %s", err);
        lin_history_free(&h);
        return CLI_EXIT_USAGE;
    }
    printf("%s model: %zu operations, %zu %s checked, %" PRIu64 " search steps, memo peak %"
           PRIu64 " bytes\n", a.model == LIN_MODEL_KV ? "kv" : "register", h.count,
           r.key_count, r.key_count == 1 ? "history" : "key histories", r.step_count,
           r.memo_bytes_peak);
    switch (r.verdict) {
    case LIN_LINEARIZABLE:
        printf("linearizable\n");
        status = CLI_EXIT_OK;
        break;
    case LIN_UNKNOWN:
        printf("unknown: %s (raise --budget or --memory)\n", r.unknown_why);
        status = CLI_EXIT_UNKNOWN;
        break;
    case LIN_VIOLATED:
        print_violation(&h, &r, pos_name);
        status = CLI_EXIT_VIOLATED;
        break;
    }
    lin_result_free(&r);
    lin_history_free(&h);
    return status;
}
