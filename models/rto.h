/* models/rto.h - RFC 6298's retransmission timeout, as pure integer arithmetic on
 * nanoseconds, so that a unit test can hold it to hand-computed values
 * (tests/models/test_rto.c) and a model can use it without state of its own.
 *
 * RFC 6298 section 2, with alpha = 1/8, beta = 1/4, K = 4:
 *   before any sample:   RTO = initial (the RFC's 1 s)
 *   first sample R:      SRTT = R, RTTVAR = R/2
 *   later sample R':     RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R'|   (with the old SRTT)
 *                        SRTT   = 7/8 SRTT   + 1/8 R'
 *   after each sample:   RTO = SRTT + max(G, K * RTTVAR), then clamped to
 *                        [min, max] (2.4: the RFC's min is 1 s; 2.5: max at least 60 s)
 *   on a timeout (5.5):  RTO = min(2 RTO, max)  - exponential back-off; it stays backed
 *                        off until the next sample recomputes it (Karn: no sample comes
 *                        from a retransmitted request, see models/rtx_client.c).
 * The divisions truncate toward zero (all values are >= 0): nanoseconds make the lost
 * fraction immaterial, and integers keep every platform's runs identical. */
#ifndef MODELS_RTO_H
#define MODELS_RTO_H

#include <stdbool.h>
#include <stdint.h>

/* Largest RTT sample taken: keeps 7 * SRTT and 4 * RTTVAR far from overflow. */
#define RTO_SAMPLE_NS_MAX (INT64_C(86400) * INT64_C(1000000000))

struct rto_params {
    int64_t initial_ns;     /* before the first sample */
    int64_t min_ns;         /* lower bound (RFC 6298: 1 s; Linux: 200 ms) */
    int64_t max_ns;         /* upper bound (RFC 6298: at least 60 s) */
    int64_t granularity_ns; /* G, the clock granularity */
};

struct rto_state {
    bool has_sample;
    int64_t srtt_ns;
    int64_t rttvar_ns;
    int64_t rto_ns; /* always within [min_ns, max_ns] */
};

static inline int64_t rto_clamp(const struct rto_params *p, int64_t rto_ns)
{
    if (rto_ns < p->min_ns) return p->min_ns;
    if (rto_ns > p->max_ns) return p->max_ns;
    return rto_ns;
}

static inline void rto_init(struct rto_state *s, const struct rto_params *p)
{
    *s = (struct rto_state){.rto_ns = rto_clamp(p, p->initial_ns)};
}

/* Takes one RTT measurement r_ns (>= 0; larger than RTO_SAMPLE_NS_MAX counts as that). */
static inline void rto_sample(struct rto_state *s, const struct rto_params *p, int64_t r_ns)
{
    if (r_ns < 0) r_ns = 0;
    if (r_ns > RTO_SAMPLE_NS_MAX) r_ns = RTO_SAMPLE_NS_MAX;
    if (!s->has_sample) {
        s->has_sample = true;
        s->srtt_ns = r_ns;
        s->rttvar_ns = r_ns / 2;
    } else {
        int64_t error_ns = s->srtt_ns > r_ns ? s->srtt_ns - r_ns : r_ns - s->srtt_ns;
        s->rttvar_ns = (3 * s->rttvar_ns + error_ns) / 4; /* before SRTT changes */
        s->srtt_ns = (7 * s->srtt_ns + r_ns) / 8;
    }
    int64_t spread_ns = 4 * s->rttvar_ns;
    if (spread_ns < p->granularity_ns) spread_ns = p->granularity_ns;
    s->rto_ns = rto_clamp(p, s->srtt_ns + spread_ns);
}

/* A retransmission timer expired: doubles the RTO, up to max_ns. */
static inline void rto_backoff(struct rto_state *s, const struct rto_params *p)
{
    s->rto_ns = s->rto_ns > p->max_ns / 2 ? p->max_ns : rto_clamp(p, 2 * s->rto_ns);
}

#endif
