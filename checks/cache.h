/* checks/cache.h - the `cache` oracle: did a cache serve an entry after it truly expired
 * (a stale read), or drop one before (an early drop)?
 *
 * It reads the claims of models/cache_client.c and models/cache_server.c:
 *   "cache.put"     a = key << 32 | version, b = ttl in ns: the writer stamped the entry
 *                   now (true time put_ns); it truly expires at put_ns + ttl
 *   "cache.hit"     a = key, b = version: the cache served that entry now
 *   "cache.expired" a = key, b = version: the cache dropped it now as expired
 * A hit at true time >= put_ns + ttl is a stale read; an expiry at true time < put_ns +
 * ttl is an early drop. Each is a violation naming the put claim's seq. With no clock
 * skew (and no drift or jitter) there are none: the cache's clock then reads what the
 * writer's would.
 * Metrics (when any put was claimed): cache.puts, cache.hits, cache.expiries,
 * cache.stale_reads, cache.early_drops, and cache.unjudged (hits or expiries of a version
 * whose put it no longer remembers). Memory: CACHE_ORACLE_PUTS_KEPT puts per key ever
 * written, so bounded by the key space, not by the run's length. */
#ifndef CHECKS_CACHE_H
#define CHECKS_CACHE_H

#include "oracle.h"

#define CACHE_ORACLE_PUTS_KEPT 4 /* the newest puts of a key a hit may still be about */

extern const struct oracle_def oracle_cache;

#endif
