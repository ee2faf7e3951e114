/* sim/event.c - canonical encoding, names and hashing of events; see event.h. The name
 * tables are the record's vocabulary: readers map names back with the *_from_name
 * functions, so each table must stay a bijection (checked by tests). */
#include "event.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "assert.h"
#include "murphy/node.h"

static const char *const kind_names[SIM_EV_KIND_COUNT] = {
    [SIM_EV_NODE_START] = "start",     [SIM_EV_SEND] = "send",
    [SIM_EV_ENQUEUE] = "enqueue",      [SIM_EV_DROP] = "drop",
    [SIM_EV_DUPLICATE] = "duplicate",  [SIM_EV_CORRUPT] = "corrupt",
    [SIM_EV_DELIVER] = "deliver",      [SIM_EV_TIMER_SET] = "timer_set",
    [SIM_EV_TIMER_FIRE] = "timer",     [SIM_EV_TIMER_CANCEL] = "timer_cancel",
    [SIM_EV_WORK_START] = "work",      [SIM_EV_WORK_DONE] = "work_done",
    [SIM_EV_FAULT] = "fault",          [SIM_EV_CRASH] = "crash",
    [SIM_EV_RESTART] = "restart",      [SIM_EV_PAUSE] = "pause",
    [SIM_EV_RESUME] = "resume",        [SIM_EV_OP_INVOKE] = "invoke",
    [SIM_EV_OP_COMPLETE] = "complete", [SIM_EV_TIMEOUT] = "timeout",
    [SIM_EV_NOTE] = "note",            [SIM_EV_VIOLATION] = "violation",
    [SIM_EV_CLAMP] = "clamp",          [SIM_EV_CLOCK_STEP] = "clock_step",
    [SIM_EV_CLOCK_RATE] = "clock_rate", [SIM_EV_CLOCK_SYNC] = "clock_sync",
    [SIM_EV_CLOCK_SAMPLE] = "clock_sample", [SIM_EV_CLAIM] = "claim",
    [SIM_EV_PAUSE_NOTICE] = "pause_notice", [SIM_EV_SUSPECT] = "suspect",
    [SIM_EV_TRUST] = "trust",         [SIM_EV_LIE] = "lie",
    [SIM_EV_ATTACK] = "attack",
};

static const char *const byz_policy_names[SIM_BYZ_POLICY_COUNT] = {
    [SIM_BYZ_ALTER] = "alter",         [SIM_BYZ_CORRUPT] = "corrupt",
    [SIM_BYZ_DROP] = "drop",           [SIM_BYZ_DELAY] = "delay",
    [SIM_BYZ_DUPLICATE] = "duplicate", [SIM_BYZ_REPLAY] = "replay",
    [SIM_BYZ_FLOOD] = "flood",
};

static const char *const attack_names[SIM_ATTACK_KIND_COUNT] = {
    [SIM_ATTACK_CORRUPT] = "corrupt", [SIM_ATTACK_FORGE] = "forge",
    [SIM_ATTACK_REPLAY] = "replay",
};

static const char *const clock_cause_names[SIM_CLOCK_CAUSE_COUNT] = {
    [SIM_CLOCK_BY_FAULT] = "fault", [SIM_CLOCK_BY_SYNC] = "sync",
    [SIM_CLOCK_BY_LEAP] = "leap",   [SIM_CLOCK_BY_SLEW] = "slew",
    [SIM_CLOCK_BY_SLEW_END] = "slew_end",
};

static const char *const sync_action_names[SIM_SYNC_ACTION_COUNT] = {
    [SIM_SYNC_STEPPED] = "stepped", [SIM_SYNC_SLEWED] = "slewed",
    [SIM_SYNC_REJECTED] = "rejected",
};

static const char *const notice_names[2] = {"heard", "missed"};

static const char *const pause_source_names[2] = {
    [SIM_PAUSE_BY_FAULT] = "fault", [SIM_PAUSE_BY_GC] = "gc",
};

static const char *const class_names[MURPHY_CLASS_COUNT] = {
    [MURPHY_CLASS_REQUEST] = "request",         [MURPHY_CLASS_REPLY] = "reply",
    [MURPHY_CLASS_HEARTBEAT] = "heartbeat",     [MURPHY_CLASS_REPLICATION] = "replication",
    [MURPHY_CLASS_CONTROL] = "control",         [MURPHY_CLASS_TIME] = "time",
    [MURPHY_CLASS_BACKGROUND] = "background",
};

static const char *const drop_names[SIM_DROP_REASON_COUNT] = {
    [SIM_DROP_LOSS] = "loss",           [SIM_DROP_PARTITION] = "partition",
    [SIM_DROP_QUEUE_FULL] = "queue_full", [SIM_DROP_NODE_DOWN] = "node_down",
    [SIM_DROP_INBOX_FULL] = "inbox_full", [SIM_DROP_DEGRADE] = "degrade",
};

static const char *const fault_names[SIM_FAULT_ACTION_COUNT] = {
    [SIM_FAULT_PARTITION] = "partition", [SIM_FAULT_CUT] = "cut",
    [SIM_FAULT_HEAL] = "heal",           [SIM_FAULT_CRASH] = "crash",
    [SIM_FAULT_RESTART] = "restart",     [SIM_FAULT_PAUSE] = "pause",
    [SIM_FAULT_STEP] = "step",           [SIM_FAULT_DRIFT] = "drift",
    [SIM_FAULT_DEGRADE] = "degrade",     [SIM_FAULT_BYZANTINE] = "byzantine",
};

static const char *const op_type_names[3] = {
    [MURPHY_OP_OK] = "ok", [MURPHY_OP_FAIL] = "fail", [MURPHY_OP_INFO] = "info",
};

/* Little-endian stores. On a little-endian host (the supported platform) they are plain
 * copies, which the compiler turns into single moves; elsewhere, bytes by shifts. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define PUT_LE(p, v) memcpy((p), &(v), sizeof(v))
static void put_u64(unsigned char *p, uint64_t v) { PUT_LE(p, v); }
static void put_u32(unsigned char *p, uint32_t v) { PUT_LE(p, v); }
static void put_u16(unsigned char *p, uint16_t v) { PUT_LE(p, v); }
#else
static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
#endif

void sim_event_encode(const struct sim_event *ev, unsigned char out[SIM_EVENT_ENCODED_BYTES])
{
    put_u64(out + 0, ev->seq);
    put_u64(out + 8, (uint64_t)ev->time_ns);
    put_u32(out + 16, ev->node);
    put_u32(out + 20, ev->peer);
    put_u16(out + 24, ev->kind);
    put_u16(out + 26, ev->aux);
    put_u64(out + 28, ev->obj);
    put_u64(out + 36, ev->ref);
    put_u64(out + 44, (uint64_t)ev->arg);
    put_u64(out + 52, (uint64_t)ev->mono_ns);
    put_u64(out + 60, (uint64_t)ev->wall_ns);
    memset(out + 68, 0, 4); /* reserved, keeps the record a multiple of 8 */
}

const char *sim_event_kind_name(unsigned kind)
{
    return kind < SIM_EV_KIND_COUNT ? kind_names[kind] : NULL;
}

static int find_name(const char *const *names, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (names[i] && strcmp(names[i], name) == 0) return (int)i;
    return -1;
}

int sim_event_kind_from_name(const char *name)
{
    return find_name(kind_names, SIM_EV_KIND_COUNT, name);
}

/* The table naming a kind's aux field, or NULL when aux is a plain number. */
static const char *const *aux_table(unsigned kind, size_t *count)
{
    switch (kind) {
    case SIM_EV_SEND:
    case SIM_EV_ENQUEUE:
    case SIM_EV_DELIVER: *count = MURPHY_CLASS_COUNT; return class_names;
    case SIM_EV_DROP: *count = SIM_DROP_REASON_COUNT; return drop_names;
    case SIM_EV_FAULT: *count = SIM_FAULT_ACTION_COUNT; return fault_names;
    case SIM_EV_OP_COMPLETE: *count = 3; return op_type_names;
    case SIM_EV_CLOCK_STEP:
    case SIM_EV_CLOCK_RATE: *count = SIM_CLOCK_CAUSE_COUNT; return clock_cause_names;
    case SIM_EV_CLOCK_SYNC: *count = SIM_SYNC_ACTION_COUNT; return sync_action_names;
    case SIM_EV_PAUSE:
    case SIM_EV_RESUME: *count = 2; return pause_source_names;
    case SIM_EV_PAUSE_NOTICE: *count = 2; return notice_names;
    case SIM_EV_LIE: *count = SIM_BYZ_POLICY_COUNT; return byz_policy_names;
    case SIM_EV_ATTACK: *count = SIM_ATTACK_KIND_COUNT; return attack_names;
    default: *count = 0; return NULL;
    }
}

const char *sim_event_aux_name(unsigned kind, unsigned aux)
{
    size_t count;
    const char *const *names = aux_table(kind, &count);
    return names && aux < count ? names[aux] : NULL;
}

int sim_event_aux_from_name(unsigned kind, const char *name)
{
    size_t count;
    const char *const *names = aux_table(kind, &count);
    return names ? find_name(names, count, name) : -1;
}

const char *sim_class_name(unsigned traffic_class)
{
    return traffic_class < MURPHY_CLASS_COUNT ? class_names[traffic_class] : NULL;
}

const char *sim_drop_reason_name(unsigned reason)
{
    return reason < SIM_DROP_REASON_COUNT ? drop_names[reason] : NULL;
}

const char *sim_fault_action_name(unsigned action)
{
    return action < SIM_FAULT_ACTION_COUNT ? fault_names[action] : NULL;
}

const char *sim_byz_policy_name(unsigned policy)
{
    return policy < SIM_BYZ_POLICY_COUNT ? byz_policy_names[policy] : NULL;
}

int sim_byz_policy_from_name(const char *name)
{
    return find_name(byz_policy_names, SIM_BYZ_POLICY_COUNT, name);
}

const char *sim_attack_kind_name(unsigned kind)
{
    return kind < SIM_ATTACK_KIND_COUNT ? attack_names[kind] : NULL;
}

int sim_attack_kind_from_name(const char *name)
{
    return find_name(attack_names, SIM_ATTACK_KIND_COUNT, name);
}

bool sim_event_equal(const struct sim_event *a, const struct sim_event *b)
{
    return a->seq == b->seq && a->time_ns == b->time_ns && a->node == b->node &&
           a->peer == b->peer && a->kind == b->kind && a->aux == b->aux && a->obj == b->obj &&
           a->ref == b->ref && a->arg == b->arg && a->mono_ns == b->mono_ns &&
           a->wall_ns == b->wall_ns;
}

int64_t sim_text_hash(const char *text)
{
    if (!text) return 0;
    return (int64_t)XXH3_64bits(text, strlen(text));
}

struct sim_hash {
    XXH3_state_t *state;
};

struct sim_hash *sim_hash_create(void)
{
    struct sim_hash *hash = calloc(1, sizeof *hash);
    if (!hash) return NULL;
    hash->state = XXH3_createState();
    if (!hash->state || XXH3_64bits_reset(hash->state) != XXH_OK) {
        XXH3_freeState(hash->state);
        free(hash);
        return NULL;
    }
    return hash;
}

void sim_hash_add(struct sim_hash *hash, const struct sim_event *ev)
{
    unsigned char buf[SIM_EVENT_ENCODED_BYTES];
    sim_event_encode(ev, buf);
    XXH_errorcode rc = XXH3_64bits_update(hash->state, buf, sizeof buf);
    SIM_ASSERT(rc == XXH_OK);
}

uint64_t sim_hash_value(const struct sim_hash *hash) { return XXH3_64bits_digest(hash->state); }

void sim_hash_destroy(struct sim_hash *hash)
{
    if (!hash) return;
    XXH3_freeState(hash->state);
    free(hash);
}
