/* tests/fuzz/fuzz_record.c - the record reader behind replay, report, log, check and
 * export on any database file: a damaged or hostile database (malformed rows, huge
 * values, triggers and views it must never run) is an error message, never a crash. The
 * bytes are written to a temporary file and read as the commands read a record: the
 * newest run, its report, every event in both orders, its ops as a history. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "analysis/db.h"
#include "analysis/history.h"
#include "analysis/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_events(struct an_db *db, const struct an_run *run, enum an_event_order order)
{
    char err[AN_ERR_BYTES];
    struct an_event_iter *it = NULL;
    if (an_events_open_ordered(db, run, order, &it, err, sizeof err) != 0) return;
    struct sim_event ev;
    for (uint64_t n = 0; n < 100000 && an_events_next(it, &ev, err, sizeof err) == 1; n++) {}
    an_events_close(it);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (4u << 20)) return 0;
    char path[] = "/tmp/murphy-fuzz-record-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    int is_written = write(fd, data, size) == (ssize_t)size;
    close(fd);
    char err[AN_ERR_BYTES];
    struct an_db *db = NULL;
    if (is_written && an_db_open(path, &db, err, sizeof err) == 0) {
        struct an_run run;
        if (an_run_load(db, 0, &run, err, sizeof err) == 0) {
            struct an_report *report = malloc(sizeof *report);
            if (report) an_report_build(db, &run, report, err, sizeof err);
            free(report);
            read_events(db, &run, AN_ORDER_TRUE);
            read_events(db, &run, AN_ORDER_WALL);
            struct lin_history h = {0};
            an_history_load_run(db, &run, &h, err, sizeof err);
            lin_history_free(&h);
            an_run_free(&run);
        }
        an_db_close(db);
    }
    unlink(path);
    return 0;
}
