/* models/hostile_client.c - a client of the key-value service (kv_service) that sends,
 * one after the other, every hostile input of a fixed list (hostile_inputs below): SQL
 * fragments, </script> and other markup, NUL bytes, a value above the service's limit and
 * one just under it, format specifiers, shell backquotes and $(...), broken UTF-8, CR/LF,
 * ANSI escapes, keys the service must refuse, and frames with a wrong checksum, a wrong
 * length or a wrong magic. The list is the contract with tests/cli/test_malicious_input.c,
 * which holds its own copy and checks the record against it entry by entry.
 *
 * Every `period` on its monotonic clock the client writes the next entry: an op f "write"
 * with key and value as given (through kv_escape: NUL as \x00, backslash as \\, every
 * other byte raw), `ok` "stored" when the service says STORED, `fail` with the service's
 * reason when it says REFUSED, `info` on timeout. After a write that was stored it reads
 * the key back: an op f "read" whose result is the value received (kv_escape again); a
 * value that differs from what was written, byte for byte or in length, is a violation
 * (the service broke K2). The client stops after the last entry.
 *
 * Invariants: H1 one operation is open at a time, and it completes once: by the reply to
 * its own message or by its timeout; H2 a reply that fails the frame checks, comes from
 * another node or answers another message is noted and completes nothing; H3 the value a
 * read returns equals the value written (else murphy_violation). */
#include "models.h"

#include <string.h>

#include "kv_wire.h"

#define TAG_TICK UINT64_C(1)
#define TAG_TIMEOUT UINT64_C(2)
#define HOSTILE_OVER_LIMIT_BYTES (100u * 1024u) /* above KV_VALUE_BYTES_MAX: refused */
#define HOSTILE_UNDER_LIMIT_BYTES (KV_VALUE_BYTES_MAX - 1u)
#define HOSTILE_VALUE_BYTES_MAX HOSTILE_OVER_LIMIT_BYTES
_Static_assert(HOSTILE_OVER_LIMIT_BYTES > KV_VALUE_BYTES_MAX, "the big value is over the limit");
_Static_assert(KV_WIRE_FRAME_BYTES + KV_KEY_BYTES_MAX + HOSTILE_VALUE_BYTES_MAX <=
                   MURPHY_PAYLOAD_BYTES_MAX, "every write fits one message");

/* Values too big to write out: generated into the client's buffer. */
enum hostile_gen {
    GEN_NONE,
    GEN_OVER_LIMIT,  /* HOSTILE_OVER_LIMIT_BYTES of 'A'..'Z' */
    GEN_UNDER_LIMIT, /* HOSTILE_UNDER_LIMIT_BYTES cycling through all 256 byte values */
};

/* What is wrong with the frame itself, after encoding. */
enum hostile_flaw {
    FLAW_NONE,
    FLAW_CHECKSUM,  /* the last checksum byte flipped */
    FLAW_TRUNCATED, /* three bytes short of what the length fields say */
    FLAW_MAGIC,     /* the first byte changed */
};

struct hostile_input {
    const char *key;
    size_t key_bytes;
    const char *value;
    size_t value_bytes;
    enum hostile_gen gen;
    enum hostile_flaw flaw;
};

/* A literal with its length, NULs inside included. */
#define B(lit) lit, sizeof(lit) - 1

static const struct hostile_input hostile_inputs[] = {
    {B("sql"), B("'; DROP TABLE events; --"), GEN_NONE, FLAW_NONE},
    {B("sql2"), B("\" OR 1=1 --"), GEN_NONE, FLAW_NONE},
    {B("'; DROP TABLE ops; --"), B("x"), GEN_NONE, FLAW_NONE},
    {B("html"), B("</script><script>alert(1)</script>"), GEN_NONE, FLAW_NONE},
    {B("html2"), B("<!--"), GEN_NONE, FLAW_NONE},
    {B("html3"), B("<img src=x onerror=\"alert(1)\"><svg/onload=alert(2)>&amp;]]><!"),
     GEN_NONE, FLAW_NONE},
    {B("</script><script>alert(1)</script>"), B("x"), GEN_NONE, FLAW_NONE},
    {B("nul"), B("a\0b\0\0c"), GEN_NONE, FLAW_NONE},
    {B("ke\0y"), B("x"), GEN_NONE, FLAW_NONE},
    {B("big"), NULL, HOSTILE_OVER_LIMIT_BYTES, GEN_OVER_LIMIT, FLAW_NONE},
    {B("big"), NULL, HOSTILE_UNDER_LIMIT_BYTES, GEN_UNDER_LIMIT, FLAW_NONE},
    {B("fmt"), B("%s%s%n%x%p%1000000d"), GEN_NONE, FLAW_NONE},
    {B("%s%n"), B("x"), GEN_NONE, FLAW_NONE},
    {B("shell"), B("`touch /tmp/murphy-pwned`"), GEN_NONE, FLAW_NONE},
    {B("shell2"), B("$(touch /tmp/murphy-pwned); rm -rf ~ &"), GEN_NONE, FLAW_NONE},
    {B("utf8"), B("\xff\xfe\xc0\xaf\xed\xa0\x80\xe2\x82"), GEN_NONE, FLAW_NONE},
    {B("unicode"), B("\xe5\x90\x8d\xe5\x89\x8d \xe2\x80\xae(RLO)"), GEN_NONE, FLAW_NONE},
    {B("crlf"), B("line1\r\nline2\n\rHTTP/1.1 200 OK\r\n\r\n"), GEN_NONE, FLAW_NONE},
    {B("a\r\nb"), B("x"), GEN_NONE, FLAW_NONE},
    {B("ansi"), B("\x1b[2J\x1b]0;PWNED\x07\x1b[31mred\x9b"), GEN_NONE, FLAW_NONE},
    {B("\x1b[2J"), B("x"), GEN_NONE, FLAW_NONE},
    {B("backslash"), B("C:\\dir\\x00not-a-nul\\"), GEN_NONE, FLAW_NONE},
    {B(""), B("x"), GEN_NONE, FLAW_NONE},
    {B("kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"), B("x"), GEN_NONE, FLAW_NONE},
    {B("empty"), B(""), GEN_NONE, FLAW_NONE},
    {B("framed"), B("fine"), GEN_NONE, FLAW_CHECKSUM},
    {B("framed"), B("fine"), GEN_NONE, FLAW_TRUNCATED},
    {B("framed"), B("fine"), GEN_NONE, FLAW_MAGIC},
};
#define HOSTILE_INPUT_COUNT (sizeof hostile_inputs / sizeof hostile_inputs[0])

struct hostile_volatile {
    uint32_t next_input; /* the entry the next write sends */
    bool is_reading;     /* the open op is the read-back of entry next_input - 1 */
    bool is_open;
    uint64_t op_id;
    uint64_t msg_id;
    uint64_t timer;
    size_t value_bytes; /* of the entry written last, in value[] */
    unsigned char value[HOSTILE_VALUE_BYTES_MAX];
    unsigned char frame[KV_WIRE_FRAME_BYTES + KV_KEY_BYTES_MAX + HOSTILE_VALUE_BYTES_MAX];
    char escaped[4 * HOSTILE_VALUE_BYTES_MAX + 1];
    char escaped_key[4 * KV_KEY_BYTES_MAX + 1];
};

static const struct murphy_param_spec hostile_params[] = {
    {"target", MURPHY_PARAM_GROUP, NULL, 0, 0, "the key-value service (its first node)"},
    {"period", MURPHY_PARAM_DURATION, "10ms", 1, INT64_C(86400000000000),
     "between one operation's end and the next, on the client's monotonic clock"},
    {"timeout", MURPHY_PARAM_DURATION, "100ms", 1, INT64_C(86400000000000),
     "per operation; then it is 'info'"},
};

static uint32_t target(const struct murphy_node *node)
{
    uint32_t first, count;
    murphy_param_group(node, "target", &first, &count);
    return first;
}

/* The entry's value into v->value (generated ones are made here). */
static void load_value(struct hostile_volatile *v, const struct hostile_input *in)
{
    v->value_bytes = in->value_bytes;
    for (size_t i = 0; i < in->value_bytes; i++) {
        if (in->gen == GEN_OVER_LIMIT) v->value[i] = (unsigned char)('A' + i % 26);
        else if (in->gen == GEN_UNDER_LIMIT) v->value[i] = (unsigned char)((i * 7 + 3) & 0xff);
        else v->value[i] = (unsigned char)in->value[i];
    }
}

/* Sends the frame in v->frame and opens the op's timeout (H1). */
static void send_frame(struct murphy_node *node, struct hostile_volatile *v, size_t bytes)
{
    v->is_open = true;
    v->msg_id = murphy_send(node, target(node), MURPHY_CLASS_REQUEST, v->frame, bytes);
    v->timer = murphy_timer_set(node, murphy_param_i64(node, "timeout"), TAG_TIMEOUT);
}

static void write_next(struct murphy_node *node, struct hostile_volatile *v)
{
    const struct hostile_input *in = &hostile_inputs[v->next_input++];
    load_value(v, in);
    const unsigned char *key = (const unsigned char *)in->key;
    kv_escape(key, in->key_bytes, v->escaped_key);
    kv_escape(v->value, v->value_bytes, v->escaped);
    v->op_id = murphy_op_invoke(node, 0, "write", v->escaped_key, v->escaped);
    v->is_reading = false;
    struct kv_frame f = {.kind = KV_PUT, .key = key, .key_bytes = (uint32_t)in->key_bytes,
                         .value = v->value, .value_bytes = (uint32_t)v->value_bytes};
    size_t bytes = kv_wire_encode(&f, v->frame);
    if (in->flaw == FLAW_CHECKSUM) v->frame[bytes - 1] ^= 0x01;
    if (in->flaw == FLAW_TRUNCATED) bytes -= 3;
    if (in->flaw == FLAW_MAGIC) v->frame[0] = 'X';
    send_frame(node, v, bytes);
}

/* Reads back the key of the entry just stored. */
static void read_back(struct murphy_node *node, struct hostile_volatile *v)
{
    const struct hostile_input *in = &hostile_inputs[v->next_input - 1];
    kv_escape((const unsigned char *)in->key, in->key_bytes, v->escaped_key);
    v->op_id = murphy_op_invoke(node, 0, "read", v->escaped_key, NULL);
    v->is_reading = true;
    struct kv_frame f = {.kind = KV_GET, .key = (const unsigned char *)in->key,
                         .key_bytes = (uint32_t)in->key_bytes};
    send_frame(node, v, kv_wire_encode(&f, v->frame));
}

static void schedule_next(struct murphy_node *node, const struct hostile_volatile *v)
{
    if (v->next_input < HOSTILE_INPUT_COUNT)
        murphy_timer_set(node, murphy_param_i64(node, "period"), TAG_TICK);
}

static void hostile_on_start(struct murphy_node *node)
{
    murphy_timer_set(node, murphy_param_i64(node, "period"), TAG_TICK);
}

static void hostile_on_timer(struct murphy_node *node, uint64_t tag)
{
    struct hostile_volatile *v = murphy_volatile(node);
    if (tag == TAG_TICK) {
        if (!v->is_open && v->next_input < HOSTILE_INPUT_COUNT) write_next(node, v);
        return;
    }
    if (!v->is_open) return; /* answered just before */
    murphy_timeout(node, v->msg_id);
    v->is_open = false; /* H1 */
    murphy_op_complete(node, v->op_id, MURPHY_OP_INFO, "timeout");
    schedule_next(node, v);
}

/* H3: the value read equals the value written, bytes and length. */
static void complete_read(struct murphy_node *node, struct hostile_volatile *v,
                          const struct kv_frame *f)
{
    bool is_same = f->value_bytes == v->value_bytes &&
                   (v->value_bytes == 0 || memcmp(f->value, v->value, v->value_bytes) == 0);
    if (!is_same) murphy_violation(node, "the service returned other bytes than were stored");
    if (f->value_bytes > HOSTILE_VALUE_BYTES_MAX) {
        murphy_op_complete(node, v->op_id, MURPHY_OP_OK, "(a value too long to record)");
        return;
    }
    murphy_op_complete(node, v->op_id, MURPHY_OP_OK,
                       kv_escape(f->value, f->value_bytes, v->escaped));
}

static void hostile_on_message(struct murphy_node *node, const struct murphy_msg *msg)
{
    struct hostile_volatile *v = murphy_volatile(node);
    struct kv_frame f;
    if (!v->is_open || msg->traffic_class != MURPHY_CLASS_REPLY ||
        msg->reply_to_msg_id != v->msg_id || msg->source_node != target(node)) {
        murphy_note(node, "ignored a message that answers nothing open"); /* H2 */
        return;
    }
    if (kv_wire_decode(msg->payload, msg->payload_bytes, &f) != KV_REASON_NONE ||
        (f.kind != KV_REFUSED && f.kind != (v->is_reading ? KV_VALUE : KV_STORED))) {
        murphy_note(node, "ignored a reply that is not one to this operation"); /* H2 */
        return;
    }
    murphy_timer_cancel(node, v->timer);
    v->is_open = false; /* H1 */
    if (f.kind == KV_REFUSED) {
        murphy_op_complete(node, v->op_id, MURPHY_OP_FAIL, kv_reason_text(f.reason));
    } else if (f.kind == KV_STORED) {
        murphy_op_complete(node, v->op_id, MURPHY_OP_OK, "stored");
        read_back(node, v);
        return;
    } else {
        complete_read(node, v, &f);
    }
    schedule_next(node, v);
}

const struct murphy_model models_hostile_client = {
    .api_version = MURPHY_API_VERSION,
    .name = "hostile_client",
    .summary = "sends a fixed list of hostile inputs to kv_service and reads back what it stored",
    .durable_bytes = 0,
    .volatile_bytes = sizeof(struct hostile_volatile),
    .params = hostile_params,
    .param_count = sizeof hostile_params / sizeof hostile_params[0],
    .on_start = hostile_on_start,
    .on_message = hostile_on_message,
    .on_timer = hostile_on_timer,
};
