/* checks/cause.h - the oracle that labels every timed-out request with its true cause.
 *
 * A client only sees "no answer in time"; the simulator knows why. The oracle follows
 * each request (a message of class REQUEST) through the event stream: its fate on the
 * network, its server's state (crashed, paused, busy) and the fate of its reply. When a
 * TIMEOUT names a request, the oracle reports the first thing that went wrong along the
 * request's path, in this order of precedence (the path order):
 *   1. request lost     - dropped by the network (loss, a cut, a full sender queue) or by
 *                          the server's full inbox
 *   1b. request corrupted - it arrived with flipped bits (the server, checking, dropped it)
 *                          and no reply came
 *   2. server crashed   - the server was down when it arrived, or crashed before replying
 *   3. server paused    - the server was paused when it arrived or before replying
 *   4. queued           - still waiting: in flight, in a sender queue, or in a busy
 *                          server's inbox or service
 *   5. reply lost       - the server replied and the network dropped the reply
 *   5b. reply corrupted - the reply arrived with flipped bits (the client, checking,
 *                          dropped it)
 *   6. reply late       - the reply was still on its way when the client gave up
 * It reads only the event stream, so it gives the same labels live and over a recorded
 * run. Memory: one small entry per request not yet answered or timed out. */
#ifndef CHECKS_CAUSE_H
#define CHECKS_CAUSE_H

#include <stdint.h>

#include "sim/event.h"
#include "sim/world.h"

enum cause {
    CAUSE_REQUEST_LOST,
    CAUSE_SERVER_CRASHED,
    CAUSE_SERVER_PAUSED,
    CAUSE_QUEUED,
    CAUSE_REPLY_LOST,
    CAUSE_REPLY_LATE,
    CAUSE_REQUEST_CORRUPTED, /* appended: earlier records keep their numbers */
    CAUSE_REPLY_CORRUPTED,
    CAUSE_COUNT
};

const char *cause_name(enum cause c); /* "request lost", ... */
int cause_from_name(const char *name);  /* -1 if unknown */

struct cause_oracle;

/* on_label is called once per TIMEOUT event, with its seq. */
typedef void (*cause_label_fn)(void *ctx, uint64_t timeout_seq, uint32_t node, uint64_t msg_id,
                               enum cause cause);

struct cause_oracle *cause_oracle_create(cause_label_fn on_label, void *ctx);
void cause_oracle_destroy(struct cause_oracle *oracle);
/* Feed every event in seq order (or wire as an observer). */
void cause_oracle_event(struct cause_oracle *oracle, const struct sim_event *ev);
struct sim_observer cause_oracle_observer(struct cause_oracle *oracle);
/* Labels given so far, per cause. */
uint64_t cause_oracle_count(const struct cause_oracle *oracle, enum cause cause);
/* Requests currently followed (for the memory test). */
uint64_t cause_oracle_tracked(const struct cause_oracle *oracle);

#endif
