/* analysis/linearizability.c - the linearizability checker: values interned to ids, the
 * history split per key (kv), each sub-history searched (Wing & Gong, Lowe's memo), and a
 * violation shrunk to its smallest failing prefix; see linearizability.h.
 *
 * The search, per sub-history: the invokes and completions form one list in real-time
 * order. Scanning from its head, an invoke may be linearized now if the model accepts it
 * in the current state and the pair (set of linearized ops, new state) was never reached
 * before (the memo: reaching it again can only repeat a search that failed); then the op
 * and its completion are lifted out of the list and the scan restarts. Reaching a
 * completion means the op it completes had to be linearized already and was not: undo
 * the last choice and try the next invoke after it. The first completion being an open
 * op's means every definite op is linearized: the open ones may simply not have happened.
 *
 * Invariants: L1 an entry's position in the list is its real-time order, a completion
 * after its invoke; L2 a lifted op's bit is set in the linearized set, and only then;
 * L3 the memo holds each (set, state) once; L4 the bounds are checked before the memo
 * grows and at every step, so hitting them stops the search cleanly with LIN_UNKNOWN. */
#include "linearizability.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/u64map.h"

#define NIL_ID 0u

int lin_history_add(struct lin_history *h, const struct lin_op *op)
{
    if (h->count >= LIN_OPS_MAX) return -1;
    if (h->count == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        struct lin_op *ops = realloc(h->ops, cap * sizeof *ops);
        if (!ops) return -1;
        h->ops = ops;
        h->cap = cap;
    }
    struct lin_op copy = *op;
    copy.key = op->key ? strdup(op->key) : NULL;
    copy.value = op->value ? strdup(op->value) : NULL;
    if ((op->key && !copy.key) || (op->value && !copy.value)) {
        free(copy.key);
        free(copy.value);
        return -1;
    }
    h->ops[h->count++] = copy;
    return 0;
}

void lin_history_free(struct lin_history *h)
{
    for (size_t i = 0; i < h->count; i++) {
        free(h->ops[i].key);
        free(h->ops[i].value);
    }
    free(h->ops);
    *h = (struct lin_history){0};
}

int lin_model_parse(const char *name, enum lin_model *out)
{
    if (strcmp(name, "register") == 0) *out = LIN_MODEL_REGISTER;
    else if (strcmp(name, "kv") == 0) *out = LIN_MODEL_KV;
    else return -1;
    return 0;
}

void lin_result_free(struct lin_result *r)
{
    free(r->witness);
    free(r->witness_is_open);
    r->witness = NULL;
    r->witness_is_open = NULL;
}

/* --- values: spans of the ops' strings, interned to ids (0 is nil) ------------------- */

struct span {
    const char *s;
    size_t len;
};

static struct span normal(const char *s, size_t len)
{
    if (len == 0 || (len == 3 && memcmp(s, "nil", 3) == 0)) return (struct span){NULL, 0};
    return (struct span){s, len};
}

static int span_cmp(const void *pa, const void *pb)
{
    const struct span *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->s, b->s, n);
    if (c != 0) return c;
    return (a->len > b->len) - (a->len < b->len);
}

/* An op's operands as spans: a (read: what was read; write: written; cas: old), b (cas:
 * new). Returns -1 with a message if the op does not fit the model. */
static int op_spans(const struct lin_op *op, struct span *a, struct span *b, char *err,
                    size_t err_bytes)
{
    const char *v = op->value ? op->value : "";
    *b = (struct span){NULL, 0};
    switch (op->f) {
    case LIN_F_READ: {
        const char *at = strchr(v, '@'); /* "V@VERSION" reads as V */
        *a = normal(v, at ? (size_t)(at - v) : strlen(v));
        return 0;
    }
    case LIN_F_WRITE:
        if (!op->value) {
            snprintf(err, err_bytes, "a write without a value (process %lld)",
                     (long long)op->process);
            return -1;
        }
        *a = normal(v, strlen(v));
        return 0;
    case LIN_F_CAS: {
        const char *sp = strchr(v, ' ');
        if (!sp || strchr(sp + 1, ' ')) {
            snprintf(err, err_bytes, "a cas value must be \"OLD NEW\" (process %lld)",
                     (long long)op->process);
            return -1;
        }
        *a = normal(v, (size_t)(sp - v));
        *b = normal(sp + 1, strlen(sp + 1));
        return 0;
    }
    }
    snprintf(err, err_bytes, "an operation the register model does not know");
    return -1;
}

struct interned {
    struct span *spans; /* sorted, distinct */
    size_t count;
};

static uint32_t intern_id(const struct interned *in, struct span s)
{
    if (!s.s) return NIL_ID;
    const struct span *hit = bsearch(&s, in->spans, in->count, sizeof s, span_cmp);
    assert(hit);
    return (uint32_t)(hit - in->spans) + 1;
}

/* --- the compact ops of one sub-history --------------------------------------------- */

struct lop {
    enum lin_f f;
    uint32_t a, b;       /* interned operands */
    bool is_open;
    uint64_t invoke_pos, complete_pos; /* complete_pos UINT64_MAX when open (L1) */
    size_t src;          /* index into the history */
};

static bool model_step(const struct lop *op, uint32_t state, uint32_t *next)
{
    switch (op->f) {
    case LIN_F_READ: *next = state; return state == op->a;
    case LIN_F_WRITE: *next = op->a; return true;
    case LIN_F_CAS: *next = op->b; return state == op->a;
    }
    return false;
}

/* An open write (or cas) whose value no operation ever observed (no definite read returned
 * it, no cas expected it) can be left out: if it took effect, the next operation after
 * it in any linearization can only be a write or another such op (a read or a cas there
 * would observe its value), so the same order without it is a linearization too; and an
 * open op may always not have happened. The verdict is the same; the search no longer
 * has to try each timed-out write at every place (2^k subsets of k indeterminate
 * writes, which is what turned histories with a few dozen `info` writes "unknown").
 * observed[] is all false on entry and on return. Returns the ops kept, in order. */
static size_t drop_unobserved_open(struct lop *ops, size_t n, bool *observed)
{
    for (size_t i = 0; i < n; i++)
        if ((ops[i].f == LIN_F_READ && !ops[i].is_open) || ops[i].f == LIN_F_CAS)
            observed[ops[i].a] = true;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t written = ops[i].f == LIN_F_CAS ? ops[i].b : ops[i].a;
        bool is_unseen = ops[i].is_open && ops[i].f != LIN_F_READ && !observed[written];
        if (!is_unseen) ops[kept++] = ops[i];
    }
    for (size_t i = 0; i < n; i++)
        if ((ops[i].f == LIN_F_READ && !ops[i].is_open) || ops[i].f == LIN_F_CAS)
            observed[ops[i].a] = false;
    return kept;
}

/* --- the memo: a set of (linearized bitset, state) ----------------------------------- */

struct memo {
    size_t words;            /* bitset words per record */
    uint64_t *records;       /* record i: [state, bits...] at i * (words + 1) */
    size_t record_count, record_cap;
    uint32_t *slots;         /* open addressing: record index + 1, 0 empty */
    size_t slot_cap;         /* a power of two */
    uint64_t bytes_max;
};

static uint64_t memo_bytes(const struct memo *m, size_t record_cap, size_t slot_cap)
{
    return (uint64_t)record_cap * (m->words + 1) * 8 + (uint64_t)slot_cap * 4;
}

static uint64_t record_hash(const uint64_t *rec, size_t words)
{
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15);
    for (size_t i = 0; i <= words; i++) h = sim_mix64(h ^ rec[i]) + i;
    return h;
}

/* Room for one more record and its slot; -1 past the bound or out of memory (L4). */
static int memo_reserve(struct memo *m)
{
    size_t record_cap = m->record_cap, slot_cap = m->slot_cap;
    if (m->record_count == record_cap) record_cap = record_cap ? record_cap * 2 : 256;
    if ((m->record_count + 1) * 2 > slot_cap) slot_cap = slot_cap ? slot_cap * 2 : 512;
    if (record_cap == m->record_cap && slot_cap == m->slot_cap) return 0;
    if (record_cap > UINT32_MAX - 1 || memo_bytes(m, record_cap, slot_cap) > m->bytes_max)
        return -1;
    if (record_cap != m->record_cap) {
        uint64_t *r = realloc(m->records, record_cap * (m->words + 1) * sizeof *r);
        if (!r) return -1;
        m->records = r;
        m->record_cap = record_cap;
    }
    if (slot_cap != m->slot_cap) {
        uint32_t *s = calloc(slot_cap, sizeof *s);
        if (!s) return -1;
        for (size_t i = 0; i < m->record_count; i++) {
            size_t j = record_hash(&m->records[i * (m->words + 1)], m->words) & (slot_cap - 1);
            while (s[j]) j = (j + 1) & (slot_cap - 1);
            s[j] = (uint32_t)i + 1;
        }
        free(m->slots);
        m->slots = s;
        m->slot_cap = slot_cap;
    }
    return 0;
}

/* 1 if (bits, state) was new and is now in, 0 if it was in already, -1 at the bound. */
static int memo_insert(struct memo *m, const uint64_t *bits, uint32_t state)
{
    if (memo_reserve(m) != 0) return -1;
    uint64_t *rec = &m->records[m->record_count * (m->words + 1)];
    rec[0] = state;
    memcpy(rec + 1, bits, m->words * sizeof *bits);
    size_t j = record_hash(rec, m->words) & (m->slot_cap - 1);
    for (; m->slots[j]; j = (j + 1) & (m->slot_cap - 1)) {
        const uint64_t *other = &m->records[(size_t)(m->slots[j] - 1) * (m->words + 1)];
        if (memcmp(other, rec, (m->words + 1) * sizeof *rec) == 0) return 0; /* L3 */
    }
    m->slots[j] = (uint32_t)m->record_count + 1;
    m->record_count++;
    return 1;
}

/* --- the search ------------------------------------------------------------------------ */

struct entry {
    struct entry *prev, *next, *match;
    uint32_t op;
    bool is_call;
    uint64_t pos;
};

static int entry_cmp(const void *pa, const void *pb)
{
    const struct entry *a = pa, *b = pb;
    if (a->pos != b->pos) return a->pos < b->pos ? -1 : 1;
    if (a->op != b->op) return a->op < b->op ? -1 : 1; /* open completions: by op */
    return (int)b->is_call - (int)a->is_call;
}

static void lift(struct entry *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev; /* a call is followed by its completion at least (L1) */
    struct entry *m = e->match;
    m->prev->next = m->next;
    if (m->next) m->next->prev = m->prev;
}

static void unlift(struct entry *e)
{
    struct entry *m = e->match;
    m->prev->next = m;
    if (m->next) m->next->prev = m;
    e->prev->next = e;
    e->next->prev = e;
}

struct budget {
    const struct lin_limits *lim;
    uint64_t steps;
    uint64_t memo_bytes_peak;
    char why[96];
};

struct frame {
    struct entry *call;
    uint32_t state;
};

static enum lin_verdict search(const struct lop *ops, size_t n, struct budget *bud)
{
    if (n == 0) return LIN_LINEARIZABLE;
    enum lin_verdict verdict = LIN_UNKNOWN;
    struct entry *entries = calloc(2 * n + 1, sizeof *entries);
    struct frame *stack = calloc(n, sizeof *stack);
    struct memo memo = {.words = (n + 63) / 64, .bytes_max = bud->lim->memo_bytes_max};
    uint64_t *bits = calloc(memo.words, sizeof *bits);
    if (!entries || !stack || !bits) {
        snprintf(bud->why, sizeof bud->why, "out of memory");
        goto done;
    }
    struct entry *head = &entries[2 * n], *e = entries;
    for (size_t i = 0; i < n; i++) {
        *e++ = (struct entry){.op = (uint32_t)i, .is_call = true, .pos = ops[i].invoke_pos};
        *e++ = (struct entry){.op = (uint32_t)i, .is_call = false,
                              .pos = ops[i].is_open ? UINT64_MAX : ops[i].complete_pos};
    }
    qsort(entries, 2 * n, sizeof *entries, entry_cmp); /* L1 */
    /* match calls with completions: by op index, through a small table */
    size_t *call_at = malloc(n * sizeof *call_at);
    if (!call_at) {
        snprintf(bud->why, sizeof bud->why, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < 2 * n; i++)
        if (entries[i].is_call) call_at[entries[i].op] = i;
    for (size_t i = 0; i < 2 * n; i++)
        if (!entries[i].is_call) {
            struct entry *c = &entries[call_at[entries[i].op]];
            assert(c < &entries[i]);
            c->match = &entries[i];
            entries[i].match = c;
        }
    free(call_at);
    head->next = &entries[0];
    for (size_t i = 0; i < 2 * n; i++) {
        entries[i].prev = i ? &entries[i - 1] : head;
        entries[i].next = i + 1 < 2 * n ? &entries[i + 1] : NULL;
    }

    size_t depth = 0;
    uint32_t state = NIL_ID;
    e = head->next;
    while (head->next) {
        if (++bud->steps > bud->lim->step_budget) { /* L4 */
            snprintf(bud->why, sizeof bud->why, "the step budget (%llu steps) ran out",
                     (unsigned long long)bud->lim->step_budget);
            goto done;
        }
        if (e->is_call) {
            uint32_t next_state;
            if (model_step(&ops[e->op], state, &next_state)) {
                bits[e->op / 64] |= UINT64_C(1) << (e->op % 64); /* L2 */
                int fresh = memo_insert(&memo, bits, next_state);
                if (fresh < 0) {
                    snprintf(bud->why, sizeof bud->why,
                             "the memo reached its bound (%llu bytes)",
                             (unsigned long long)bud->lim->memo_bytes_max);
                    goto done;
                }
                if (fresh) {
                    stack[depth++] = (struct frame){e, state};
                    state = next_state;
                    lift(e);
                    e = head->next;
                    continue;
                }
                bits[e->op / 64] &= ~(UINT64_C(1) << (e->op % 64));
            }
            e = e->next;
            continue;
        }
        if (ops[e->op].is_open) break; /* every definite op is linearized */
        if (depth == 0) {
            verdict = LIN_VIOLATED;
            goto done;
        }
        struct frame f = stack[--depth];
        state = f.state;
        bits[f.call->op / 64] &= ~(UINT64_C(1) << (f.call->op % 64));
        unlift(f.call);
        e = f.call->next;
    }
    verdict = LIN_LINEARIZABLE;
done:;
    uint64_t bytes = memo_bytes(&memo, memo.record_cap, memo.slot_cap);
    if (bytes > bud->memo_bytes_peak) bud->memo_bytes_peak = bytes;
    free(memo.records);
    free(memo.slots);
    free(bits);
    free(stack);
    free(entries);
    return verdict;
}

/* --- shrinking: the smallest failing prefix by completion order ----------------------- */

static int definite_cmp(const void *pa, const void *pb)
{
    const struct lop *a = *(const struct lop *const *)pa, *b = *(const struct lop *const *)pb;
    return (a->complete_pos > b->complete_pos) - (a->complete_pos < b->complete_pos);
}

/* The sub-history cut at position cut_pos: ops completed by then as they were; ops
 * invoked before it and completed later as open (a read then constrains nothing and is
 * dropped); later ops dropped. Returns the count written to out. */
static size_t cut(const struct lop *ops, size_t n, uint64_t cut_pos, struct lop *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (ops[i].invoke_pos > cut_pos) continue;
        struct lop o = ops[i];
        if (o.is_open || o.complete_pos > cut_pos) {
            if (o.f == LIN_F_READ) continue;
            o.is_open = true;
            o.complete_pos = UINT64_MAX;
        }
        out[k++] = o;
    }
    return k;
}

/* Prefix k (1-based) of the definite ops by completion is not linearizable for k = hi;
 * finds the smallest such k (a prefix of a linearizable history is linearizable, so the
 * failing prefixes are an upper range). A bound hit while shrinking counts as "not shown
 * failing": the prefix found fails either way. */
static int shrink(const struct lop *ops, size_t n, struct budget *bud, struct lin_result *out)
{
    const struct lop **definite = malloc(n * sizeof *definite);
    struct lop *scratch = malloc(n * sizeof *scratch);
    if (!definite || !scratch) {
        free(definite);
        free(scratch);
        return -1;
    }
    size_t d = 0;
    for (size_t i = 0; i < n; i++)
        if (!ops[i].is_open) definite[d++] = &ops[i];
    qsort(definite, d, sizeof *definite, definite_cmp);
    size_t lo = 1, hi = d;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        size_t m = cut(ops, n, definite[mid - 1]->complete_pos, scratch);
        if (search(scratch, m, bud) == LIN_VIOLATED) hi = mid;
        else lo = mid + 1;
    }
    uint64_t cut_pos = d ? definite[hi - 1]->complete_pos : UINT64_MAX;
    size_t m = cut(ops, n, cut_pos, scratch);
    out->failing_op = d ? definite[hi - 1]->src : 0;
    out->witness = malloc((m ? m : 1) * sizeof *out->witness);
    out->witness_is_open = malloc((m ? m : 1) * sizeof *out->witness_is_open);
    if (!out->witness || !out->witness_is_open) {
        free(definite);
        free(scratch);
        return -1;
    }
    for (size_t i = 0; i < m; i++) { /* ops are by invoke position already */
        out->witness[i] = scratch[i].src;
        out->witness_is_open[i] = scratch[i].is_open;
    }
    out->witness_count = m;
    free(definite);
    free(scratch);
    return 0;
}

/* --- the check ----------------------------------------------------------------------- */

static int order_cmp_ctx(const struct lin_history *h, bool by_key, size_t a, size_t b)
{
    const struct lin_op *x = &h->ops[a], *y = &h->ops[b];
    if (by_key) {
        int c = strcmp(x->key, y->key);
        if (c != 0) return c;
    }
    return (x->invoke_pos > y->invoke_pos) - (x->invoke_pos < y->invoke_pos);
}

/* Op indices by key (kv), then invoke position; a merge sort, so that the comparator
 * needs no global. */
static void order_sort(const struct lin_history *h, bool by_key, size_t *a, size_t *tmp,
                       size_t n)
{
    if (n < 2) return;
    size_t half = n / 2;
    order_sort(h, by_key, a, tmp, half);
    order_sort(h, by_key, a + half, tmp, n - half);
    size_t i = 0, j = half, k = 0;
    while (i < half && j < n)
        tmp[k++] = order_cmp_ctx(h, by_key, a[i], a[j]) <= 0 ? a[i++] : a[j++];
    while (i < half) tmp[k++] = a[i++];
    while (j < n) tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

int lin_check(const struct lin_history *h, enum lin_model model, const struct lin_limits *lim,
              struct lin_result *out, char *err, size_t err_bytes)
{
    *out = (struct lin_result){.verdict = LIN_LINEARIZABLE};
    size_t n = h->count;
    bool by_key = model == LIN_MODEL_KV;
    struct span *spans = malloc((2 * n + 1) * sizeof *spans);
    struct span *a_of = malloc((n + 1) * sizeof *a_of), *b_of = malloc((n + 1) * sizeof *b_of);
    size_t *order = malloc((n + 1) * sizeof *order), *tmp = malloc((n + 1) * sizeof *tmp);
    struct lop *lops = malloc((n + 1) * sizeof *lops);
    bool *observed = NULL;
    int rc = -1;
    if (!spans || !a_of || !b_of || !order || !tmp || !lops) {
        snprintf(err, err_bytes, "out of memory for %zu operations", n);
        goto done;
    }
    size_t span_count = 0;
    for (size_t i = 0; i < n; i++) {
        if (by_key && !h->ops[i].key) {
            snprintf(err, err_bytes, "the kv model needs a key on every operation"
                     " (process %lld has none)", (long long)h->ops[i].process);
            goto done;
        }
        if (op_spans(&h->ops[i], &a_of[i], &b_of[i], err, err_bytes) != 0) goto done;
        if (a_of[i].s) spans[span_count++] = a_of[i];
        if (b_of[i].s) spans[span_count++] = b_of[i];
    }
    qsort(spans, span_count, sizeof *spans, span_cmp);
    size_t distinct = 0;
    for (size_t i = 0; i < span_count; i++)
        if (distinct == 0 || span_cmp(&spans[distinct - 1], &spans[i]) != 0)
            spans[distinct++] = spans[i];
    if (distinct >= UINT32_MAX) {
        snprintf(err, err_bytes, "too many distinct values");
        goto done;
    }
    struct interned in = {spans, distinct};
    observed = calloc(distinct + 1, sizeof *observed); /* ids 0 (nil) .. distinct */
    if (!observed) {
        snprintf(err, err_bytes, "out of memory for %zu values", distinct);
        goto done;
    }

    for (size_t i = 0; i < n; i++) order[i] = i;
    order_sort(h, by_key, order, tmp, n);
    struct budget bud = {.lim = lim};
    for (size_t start = 0; start < n;) {
        size_t end = start + 1;
        while (end < n && (!by_key || strcmp(h->ops[order[end]].key,
                                             h->ops[order[start]].key) == 0))
            end++;
        size_t m = 0;
        for (size_t i = start; i < end; i++) {
            const struct lin_op *op = &h->ops[order[i]];
            if (op->is_open && op->f == LIN_F_READ) continue; /* constrains nothing */
            assert(op->is_open || op->complete_pos > op->invoke_pos);
            lops[m++] = (struct lop){.f = op->f, .a = intern_id(&in, a_of[order[i]]),
                                     .b = intern_id(&in, b_of[order[i]]),
                                     .is_open = op->is_open, .invoke_pos = op->invoke_pos,
                                     .complete_pos = op->is_open ? UINT64_MAX
                                                                 : op->complete_pos,
                                     .src = order[i]};
        }
        m = drop_unobserved_open(lops, m, observed);
        out->key_count++;
        enum lin_verdict v = search(lops, m, &bud);
        if (v == LIN_VIOLATED) {
            out->verdict = LIN_VIOLATED;
            out->key = by_key ? h->ops[order[start]].key : NULL;
            if (shrink(lops, m, &bud, out) != 0) {
                snprintf(err, err_bytes, "out of memory while shrinking the violation");
                lin_result_free(out);
                goto done;
            }
            break; /* one failing key is the verdict; the rest cannot change it */
        }
        if (v == LIN_UNKNOWN && out->verdict == LIN_LINEARIZABLE) {
            out->verdict = LIN_UNKNOWN;
            snprintf(out->unknown_why, sizeof out->unknown_why, "%s", bud.why);
        }
        start = end;
    }
    out->step_count = bud.steps;
    out->memo_bytes_peak = bud.memo_bytes_peak;
    rc = 0;
done:
    free(spans);
    free(a_of);
    free(b_of);
    free(order);
    free(tmp);
    free(lops);
    free(observed);
    return rc;
}
