/* tests/checks/test_cause.c - the true-cause oracle labels each timed-out request with
 * the first thing that went wrong on its path, in the documented precedence.
 * How: synthetic event streams (as the kernel would emit them) are fed to the oracle,
 * one per cause and per overlap of causes, and the label it gives is compared with the
 * one cause.h promises. Also: it forgets requests once answered or labelled. */
#include <criterion/criterion.h>

#include "checks/cause.h"
#include "murphy/node.h"

enum { CLIENT = 0, SERVER = 1 };

struct feed {
    struct cause_oracle *oracle;
    uint64_t seq;
    int64_t now_ns;
    int labels;
    enum cause last;
};

static void on_label(void *ctx, uint64_t seq, uint32_t node, uint64_t msg_id, enum cause c)
{
    (void)seq;
    (void)msg_id;
    struct feed *f = ctx;
    cr_assert_eq(node, CLIENT);
    f->labels++;
    f->last = c;
}

static void ev(struct feed *f, enum sim_event_kind kind, uint32_t node, uint32_t peer,
               unsigned aux, uint64_t obj, uint64_t ref)
{
    struct sim_event e = {.seq = f->seq++, .time_ns = f->now_ns += 1000, .node = node,
                          .peer = peer, .kind = (uint16_t)kind, .aux = (uint16_t)aux,
                          .obj = obj, .ref = ref};
    cause_oracle_event(f->oracle, &e);
}

static void request(struct feed *f, uint64_t id)
{
    ev(f, SIM_EV_SEND, CLIENT, SERVER, MURPHY_CLASS_REQUEST, id, 0);
}

static void deliver_request(struct feed *f, uint64_t id)
{
    ev(f, SIM_EV_DELIVER, SERVER, CLIENT, MURPHY_CLASS_REQUEST, id, 0);
}

static void reply(struct feed *f, uint64_t id, uint64_t to)
{
    ev(f, SIM_EV_SEND, SERVER, CLIENT, MURPHY_CLASS_REPLY, id, to);
}

static enum cause timeout(struct feed *f, uint64_t id)
{
    int before = f->labels;
    ev(f, SIM_EV_TIMEOUT, CLIENT, SIM_NODE_NONE, 0, id, 0);
    cr_assert_eq(f->labels, before + 1, "a followed request's timeout gets exactly one label");
    return f->last;
}

static struct feed *start(void)
{
    static struct feed f; /* one per test process; Criterion runs tests in fresh processes */
    f = (struct feed){0};
    f.oracle = cause_oracle_create(on_label, &f);
    cr_assert_not_null(f.oracle);
    return &f;
}

Test(cause, request_lost_on_the_network)
{
    struct feed *f = start();
    request(f, 1);
    ev(f, SIM_EV_DROP, CLIENT, SERVER, SIM_DROP_LOSS, 1, 0);
    cr_assert_eq(timeout(f, 1), CAUSE_REQUEST_LOST);
    request(f, 2);
    ev(f, SIM_EV_DROP, CLIENT, SERVER, SIM_DROP_PARTITION, 2, 0);
    cr_assert_eq(timeout(f, 2), CAUSE_REQUEST_LOST);
    request(f, 3);
    ev(f, SIM_EV_DROP, SERVER, CLIENT, SIM_DROP_INBOX_FULL, 3, 0);
    cr_assert_eq(timeout(f, 3), CAUSE_REQUEST_LOST);
    cause_oracle_destroy(f->oracle);
}

Test(cause, server_crashed_before_or_after_arrival)
{
    struct feed *f = start();
    request(f, 1);
    ev(f, SIM_EV_DROP, SERVER, CLIENT, SIM_DROP_NODE_DOWN, 1, 0);
    cr_assert_eq(timeout(f, 1), CAUSE_SERVER_CRASHED);
    ev(f, SIM_EV_RESTART, SERVER, SIM_NODE_NONE, 0, 0, 0);
    request(f, 2);
    deliver_request(f, 2);
    ev(f, SIM_EV_CRASH, SERVER, SIM_NODE_NONE, 0, 0, 0);
    ev(f, SIM_EV_RESTART, SERVER, SIM_NODE_NONE, 0, 0, 0);
    cr_assert_eq(timeout(f, 2), CAUSE_SERVER_CRASHED, "crashed after arrival, up again now");
    cause_oracle_destroy(f->oracle);
}

Test(cause, server_paused_holding_the_request)
{
    struct feed *f = start();
    ev(f, SIM_EV_PAUSE, SERVER, SIM_NODE_NONE, 0, 0, 0);
    request(f, 1); /* waits in the paused server's inbox */
    cr_assert_eq(timeout(f, 1), CAUSE_SERVER_PAUSED);
    ev(f, SIM_EV_RESUME, SERVER, SIM_NODE_NONE, 0, 0, 0);
    request(f, 2);
    deliver_request(f, 2);
    ev(f, SIM_EV_PAUSE, SERVER, SIM_NODE_NONE, 0, 0, 0);
    ev(f, SIM_EV_RESUME, SERVER, SIM_NODE_NONE, 0, 0, 0);
    cr_assert_eq(timeout(f, 2), CAUSE_SERVER_PAUSED, "paused after arrival, running again now");
    cause_oracle_destroy(f->oracle);
}

Test(cause, queued_in_flight_or_in_service)
{
    struct feed *f = start();
    request(f, 1); /* still on its way */
    cr_assert_eq(timeout(f, 1), CAUSE_QUEUED);
    request(f, 2);
    deliver_request(f, 2); /* in service, no reply yet */
    cr_assert_eq(timeout(f, 2), CAUSE_QUEUED);
    cause_oracle_destroy(f->oracle);
}

Test(cause, reply_lost_or_late)
{
    struct feed *f = start();
    request(f, 1);
    deliver_request(f, 1);
    reply(f, 2, 1);
    ev(f, SIM_EV_DROP, SERVER, CLIENT, SIM_DROP_LOSS, 2, 1);
    cr_assert_eq(timeout(f, 1), CAUSE_REPLY_LOST);
    request(f, 3);
    deliver_request(f, 3);
    reply(f, 4, 3);
    cr_assert_eq(timeout(f, 3), CAUSE_REPLY_LATE);
    cause_oracle_destroy(f->oracle);
}

/* A corrupted copy arrives and a server (or client) that checks drops it: the timeout is
 * the corruption's, not "queued" or "reply late". */
Test(cause, corrupted_request_or_reply)
{
    struct feed *f = start();
    request(f, 1);
    ev(f, SIM_EV_CORRUPT, CLIENT, SERVER, 0, 1, 0);
    deliver_request(f, 1);
    cr_assert_eq(timeout(f, 1), CAUSE_REQUEST_CORRUPTED);
    /* the corruption came first, the crash after: the path's first fault wins */
    request(f, 3);
    ev(f, SIM_EV_CORRUPT, CLIENT, SERVER, 0, 3, 0);
    deliver_request(f, 3);
    ev(f, SIM_EV_CRASH, SERVER, SIM_NODE_NONE, 0, 0, 0);
    cr_assert_eq(timeout(f, 3), CAUSE_REQUEST_CORRUPTED);
    ev(f, SIM_EV_RESTART, SERVER, SIM_NODE_NONE, 0, 0, 0);
    /* a reply that arrives corrupted: held, and the client's timeout is labelled */
    request(f, 5);
    deliver_request(f, 5);
    reply(f, 6, 5);
    ev(f, SIM_EV_CORRUPT, SERVER, CLIENT, 0, 6, 5);
    ev(f, SIM_EV_DELIVER, CLIENT, SERVER, MURPHY_CLASS_REPLY, 6, 5);
    cr_assert_eq(cause_oracle_tracked(f->oracle), 1, "held for the timeout that may follow");
    cr_assert_eq(timeout(f, 5), CAUSE_REPLY_CORRUPTED);
    cr_assert_eq(cause_oracle_tracked(f->oracle), 0);
    cause_oracle_destroy(f->oracle);
}

/* A client that accepts corrupted replies never times out: the held requests stay
 * bounded however many there are. */
Test(cause, held_requests_are_bounded)
{
    struct feed *f = start();
    for (uint64_t id = 1; id <= 20000; id += 2) {
        request(f, id);
        deliver_request(f, id);
        reply(f, id + 1, id);
        ev(f, SIM_EV_CORRUPT, SERVER, CLIENT, 0, id + 1, id);
        ev(f, SIM_EV_DELIVER, CLIENT, SERVER, MURPHY_CLASS_REPLY, id + 1, id);
    }
    cr_assert_eq(cause_oracle_tracked(f->oracle), 4096);
    cause_oracle_destroy(f->oracle);
}

Test(cause, the_first_fault_on_the_path_wins)
{
    struct feed *f = start();
    /* lost request to a server that is also paused: the loss came first */
    ev(f, SIM_EV_PAUSE, SERVER, SIM_NODE_NONE, 0, 0, 0);
    request(f, 1);
    ev(f, SIM_EV_DROP, CLIENT, SERVER, SIM_DROP_LOSS, 1, 0);
    cr_assert_eq(timeout(f, 1), CAUSE_REQUEST_LOST);
    /* paused after arrival, then crashed: crashed outranks paused */
    ev(f, SIM_EV_RESUME, SERVER, SIM_NODE_NONE, 0, 0, 0);
    request(f, 2);
    deliver_request(f, 2);
    ev(f, SIM_EV_PAUSE, SERVER, SIM_NODE_NONE, 0, 0, 0);
    ev(f, SIM_EV_CRASH, SERVER, SIM_NODE_NONE, 0, 0, 0);
    cr_assert_eq(timeout(f, 2), CAUSE_SERVER_CRASHED);
    /* a duplicate delivered after the original: the first delivery counts */
    ev(f, SIM_EV_RESTART, SERVER, SIM_NODE_NONE, 0, 0, 0);
    request(f, 3);
    deliver_request(f, 3);
    deliver_request(f, 3);
    reply(f, 4, 3);
    cr_assert_eq(timeout(f, 3), CAUSE_REPLY_LATE);
    cause_oracle_destroy(f->oracle);
}

Test(cause, answered_and_labelled_requests_are_forgotten)
{
    struct feed *f = start();
    for (uint64_t id = 1; id <= 1000; id += 2) {
        request(f, id);
        deliver_request(f, id);
        reply(f, id + 1, id);
        if (id % 4 == 1) ev(f, SIM_EV_DELIVER, CLIENT, SERVER, MURPHY_CLASS_REPLY, id + 1, id);
        else timeout(f, id);
    }
    cr_assert_eq(cause_oracle_tracked(f->oracle), 0, "nothing left to follow");
    cr_assert_eq(cause_oracle_count(f->oracle, CAUSE_REPLY_LATE), 250);
    cr_assert_eq(f->labels, 250);
    cause_oracle_destroy(f->oracle);
}

Test(cause, names_round_trip)
{
    for (int c = 0; c < CAUSE_COUNT; c++)
        cr_assert_eq(cause_from_name(cause_name((enum cause)c)), c);
    cr_assert_eq(cause_from_name("gremlins"), -1);
    cr_assert_null(cause_name(CAUSE_COUNT));
}
