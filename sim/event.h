/* sim/event.h - the canonical event: one fixed-width record per thing that happened.
 *
 * The kernel emits exactly one stream of these per run, in execution order, with `seq`
 * dense from 0. Everything downstream (the hash, the recorder, oracles, metric
 * accumulators, replay) consumes this one stream, so a sweep's metrics and a report read
 * back from SQLite agree exactly. The hash covers the canonical little-endian encoding
 * below (never raw struct bytes); strings a model supplies (op arguments, notes,
 * violations) travel beside the event and enter the hash through their XXH3 in `arg`. */
#ifndef SIM_EVENT_H
#define SIM_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bumped whenever the canonical encoding or the meaning of a field changes; stored with
 * every run, so replay can say "recorded under hash format N". */
#define SIM_HASH_FORMAT_VERSION 1

#define SIM_NODE_NONE UINT32_MAX

/* Kinds; their numbers are part of the hash format. Append only. */
enum sim_event_kind {
    SIM_EV_NODE_START,   /* node */
    SIM_EV_SEND,         /* node=source peer=target obj=msg ref=reply_to aux=class arg=bytes */
    SIM_EV_ENQUEUE,      /* like SEND; arg = messages ahead of it in the sender's queue */
    SIM_EV_DROP,         /* obj=msg, aux=reason; node=the sender and peer=the target for
                            drops by the link (loss, partition, queue_full), node=the target
                            and peer=the sender for drops by the node (node_down,
                            inbox_full); arg=the cutting fault's index for a partition drop */
    SIM_EV_DUPLICATE,    /* node=source peer=target obj=msg */
    SIM_EV_CORRUPT,      /* node=source peer=target obj=msg arg=byte offset flipped */
    SIM_EV_DELIVER,      /* node=target peer=source obj=msg ref=reply_to aux=class arg=transit ns */
    SIM_EV_TIMER_SET,    /* node obj=handle ref=tag arg=local delay ns */
    SIM_EV_TIMER_FIRE,   /* node obj=handle ref=tag */
    SIM_EV_TIMER_CANCEL, /* node obj=handle ref=tag */
    SIM_EV_WORK_START,   /* node obj=work id arg=duration ns */
    SIM_EV_WORK_DONE,    /* node obj=work id */
    SIM_EV_FAULT,        /* node/peer when about them, obj=fault index, aux=action */
    SIM_EV_CRASH,        /* node arg=new incarnation */
    SIM_EV_RESTART,      /* node arg=incarnation */
    SIM_EV_PAUSE,        /* node obj=fault index arg=duration ns */
    SIM_EV_RESUME,       /* node obj=fault index of the pause arg=inbox items (+1 if in work) */
    SIM_EV_OP_INVOKE,    /* node obj=op ref=process arg=hash of f,key,value */
    SIM_EV_OP_COMPLETE,  /* node obj=op aux=type arg=hash of result */
    SIM_EV_TIMEOUT,      /* node obj=msg it gave up on */
    SIM_EV_NOTE,         /* node arg=hash of text */
    SIM_EV_VIOLATION,    /* node arg=hash of text */
    SIM_EV_CLAMP,        /* node=source peer=target obj=msg arg=clamped delay ns */
    SIM_EV_CLOCK_STEP,   /* node aux=why (fault, sync, leap) arg=how far the wall clock moved */
    SIM_EV_CLOCK_RATE,   /* node aux=why (fault, slew, slew_end) arg=new drift ppb of both
                            clocks, ref=(u64) the slew part of it */
    SIM_EV_CLOCK_SYNC,   /* node peer=time server or none aux=what the discipline did
                            arg=measured offset (local minus reference) obj=round trip ns */
    SIM_EV_CLOCK_SAMPLE, /* node arg=wall offset from the reference, obj=(u64) mono - true */
    SIM_EV_CLAIM,        /* node obj=(u64)a ref=(u64)b arg=hash of the claim's name: what a
                            model tells the oracles it did (murphy_claim) */
    SIM_EV_PAUSE_NOTICE, /* node obj=the planned pause's length arg=ns until it starts,
                            aux=1 (missed) if the node was busy or paused until the pause */
    SIM_EV_SUSPECT,      /* node=the detector peer=the node it now suspects */
    SIM_EV_TRUST,        /* node=the detector peer=the node it trusts again */
    SIM_EV_LIE,          /* node=the Byzantine sender peer=the target aux=policy obj=the msg
                            that went out (a dropped one's id never travels) ref=XXH3-64 of
                            the bytes the model sent (the truth) arg=hash of the text, which
                            says what went out against what the model sent */
    SIM_EV_ATTACK,       /* node=source peer=target of the link aux=attack kind obj=the msg
                            touched or injected ref=XXH3-64 of its true bytes (0 for a forgery)
                            arg=hash of the text (byte offset, replayed msg id) */
    SIM_EV_KIND_COUNT
};

/* DROP reasons. */
enum sim_drop_reason {
    SIM_DROP_LOSS,        /* the link lost it */
    SIM_DROP_PARTITION,   /* the link was cut */
    SIM_DROP_QUEUE_FULL,  /* the sender's link queue was full (tail drop) */
    SIM_DROP_NODE_DOWN,   /* the target was crashed when it arrived, or crashed holding it */
    SIM_DROP_INBOX_FULL,  /* the target's inbox (paused or busy) was full */
    SIM_DROP_DEGRADE,     /* a degrade fault's extra loss (arg: the fault's index) */
    SIM_DROP_REASON_COUNT
};

/* Why a clock stepped (CLOCK_STEP aux) or changed rate (CLOCK_RATE aux). */
enum sim_clock_cause {
    SIM_CLOCK_BY_FAULT,    /* a scenario fault (step, drift) */
    SIM_CLOCK_BY_SYNC,     /* the sync discipline stepped the clock */
    SIM_CLOCK_BY_LEAP,     /* a leap second inserted by stepping back */
    SIM_CLOCK_BY_SLEW,     /* the sync discipline started slewing */
    SIM_CLOCK_BY_SLEW_END, /* a slew finished */
    SIM_CLOCK_CAUSE_COUNT
};

/* What a sync did with its measurement (CLOCK_SYNC aux). */
enum sim_sync_action {
    SIM_SYNC_STEPPED,
    SIM_SYNC_SLEWED,
    SIM_SYNC_REJECTED, /* a time reply that failed its checksum: never trusted */
    SIM_SYNC_ACTION_COUNT
};

/* LIE aux: the policy of a Byzantine node that told it (sim/byz.c). The order is the
 * order they apply to one send. */
enum sim_byz_policy {
    SIM_BYZ_ALTER,     /* the model's own byz_alter hook re-encoded a meaningful lie */
    SIM_BYZ_CORRUPT,   /* one bit flipped */
    SIM_BYZ_DROP,      /* never sent */
    SIM_BYZ_DELAY,     /* sent late by the fault's extra delay */
    SIM_BYZ_DUPLICATE, /* sent again (copies) */
    SIM_BYZ_REPLAY,    /* an old message of its own sent again to this target */
    SIM_BYZ_FLOOD,     /* garbage of the same length sent beside it (copies) */
    SIM_BYZ_POLICY_COUNT
};

/* ATTACK aux: what an attacker on a link did in transit. */
enum sim_attack_kind {
    SIM_ATTACK_CORRUPT, /* flipped one bit of a message in flight */
    SIM_ATTACK_FORGE,   /* injected a message of random bytes as if from the source */
    SIM_ATTACK_REPLAY,  /* delivered again an earlier message of the link */
    SIM_ATTACK_KIND_COUNT
};

/* PAUSE aux: where a pause came from. */
enum sim_pause_source { SIM_PAUSE_BY_FAULT, SIM_PAUSE_BY_GC };

/* FAULT actions. */
enum sim_fault_action {
    SIM_FAULT_PARTITION, /* cut both directions between two groups */
    SIM_FAULT_CUT,       /* cut one direction */
    SIM_FAULT_HEAL,      /* undo cuts (all, or one named fault's) */
    SIM_FAULT_CRASH,
    SIM_FAULT_RESTART,
    SIM_FAULT_PAUSE,
    SIM_FAULT_STEP,      /* step the wall clock of nodes by a signed duration */
    SIM_FAULT_DRIFT,     /* set the drift of nodes' clocks */
    SIM_FAULT_DEGRADE,   /* extra loss on the links from one side to the other */
    SIM_FAULT_BYZANTINE, /* nodes start lying (sim/byz.c): their policies replace any before */
    SIM_FAULT_ACTION_COUNT
};

struct sim_event {
    uint64_t seq;
    int64_t time_ns; /* true time */
    uint32_t node;   /* SIM_NODE_NONE when not about a node */
    uint32_t peer;   /* SIM_NODE_NONE when none */
    uint16_t kind;   /* enum sim_event_kind */
    uint16_t aux;    /* class, drop reason, fault action or op type, by kind */
    uint64_t obj;    /* msg id, timer handle, work id, op id, fault index */
    uint64_t ref;    /* reply_to msg, timer tag, process */
    int64_t arg;     /* bytes, delay, depth, text hash, by kind */
    int64_t mono_ns; /* the node's readings at the event; 0 without a node */
    int64_t wall_ns;
};

/* Strings beside an event (borrowed for the observer call): op f/key/value, op result,
 * note or violation text. NULL when absent. */
struct sim_event_text {
    const char *s[3];
};

#define SIM_EVENT_ENCODED_BYTES 72

/* Canonical little-endian encoding, as hashed. Byte offsets: seq 0, time_ns 8, node 16,
 * peer 20, kind 24, aux 26, obj 28, ref 36, arg 44, mono_ns 52, wall_ns 60, then 4 zero
 * bytes (68..71). tests/sim/test_event.c pins this layout and a reference hash. */
void sim_event_encode(const struct sim_event *ev, unsigned char out[SIM_EVENT_ENCODED_BYTES]);

/* Names, as stored in the record ("send", "drop", ...). Unknown values give NULL. */
const char *sim_event_kind_name(unsigned kind);
int sim_event_kind_from_name(const char *name); /* -1 if unknown */
/* The aux name for a kind ("loss" for a DROP, "request" for a SEND), or NULL when the
 * kind has no named aux (its aux is then stored as a number). */
const char *sim_event_aux_name(unsigned kind, unsigned aux);
int sim_event_aux_from_name(unsigned kind, const char *name); /* -1 if unknown */
const char *sim_class_name(unsigned traffic_class);
const char *sim_drop_reason_name(unsigned reason);
const char *sim_fault_action_name(unsigned action);
const char *sim_byz_policy_name(unsigned policy);
int sim_byz_policy_from_name(const char *name); /* -1 if unknown */
const char *sim_attack_kind_name(unsigned kind);
int sim_attack_kind_from_name(const char *name); /* -1 if unknown */

/* True if two events are equal field by field (what replay compares). */
bool sim_event_equal(const struct sim_event *a, const struct sim_event *b);

/* The XXH3 of a string, as carried in `arg` for text-bearing events (0 for NULL). */
int64_t sim_text_hash(const char *text);

/* Running XXH3-64 over the canonical encoding of a stream of events. */
struct sim_hash;
struct sim_hash *sim_hash_create(void);
void sim_hash_add(struct sim_hash *hash, const struct sim_event *ev);
uint64_t sim_hash_value(const struct sim_hash *hash);
void sim_hash_destroy(struct sim_hash *hash);

#endif
