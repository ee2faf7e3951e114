/* tests/failalloc/failalloc.c - a test-only malloc interposer, loaded with LD_PRELOAD, that
 * makes one allocation fail: the Nth call of malloc, calloc or realloc (N from
 * MURPHY_TEST_FAIL_ALLOC_AFTER, counted from 1) after the trigger, which is this library's
 * constructor (it runs after libc is up and before murphy's main). It returns NULL with
 * errno ENOMEM once; every other call goes to the real allocator (dlsym RTLD_NEXT: glibc's,
 * or the sanitizer's under ASan). Murphy has no central allocator, and SQLite, GSL and
 * stdio allocate on their own: failing at the C library's door reaches them all.
 *
 * MURPHY_TEST_FAIL_ALLOC_REPORT names a file that gets "failed N\n" the moment the Nth
 * allocation fails, and "count C\n" at a normal exit (C: the calls counted), so a test
 * knows whether N was past the last allocation and how many there are. N = 0 fails none
 * (a count only). Written with open/write: no allocation while reporting.
 *
 * Not part of murphy: built only with the tests, never installed. The count is atomic,
 * but with the recorder's writer thread the order of calls between threads, and so which
 * call is the Nth, can vary from run to run: each N is a valid test either way. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);

static unsigned long long fail_at;  /* 0: fail none */
static atomic_ullong call_count;
static atomic_bool is_armed;
static char report_path[4096];

/* dlsym may allocate before the real functions are known: from here, never freed. */
static _Alignas(max_align_t) unsigned char boot_arena[64 * 1024];
static size_t boot_used;

static bool is_boot(const void *p)
{
    return (const unsigned char *)p >= boot_arena &&
           (const unsigned char *)p < boot_arena + sizeof boot_arena;
}

static void *boot_alloc(size_t bytes)
{
    size_t align = _Alignof(max_align_t);
    size_t at = (boot_used + align - 1) / align * align;
    if (bytes > sizeof boot_arena - at) return NULL;
    boot_used = at + bytes;
    return boot_arena + at; /* static storage: already zero */
}

static void resolve(void)
{
    static atomic_bool is_resolving;
    if (real_malloc || atomic_exchange(&is_resolving, true)) return;
    /* POSIX's way to take a function from dlsym without an object-to-function cast */
    *(void **)&real_malloc = dlsym(RTLD_NEXT, "malloc");
    *(void **)&real_calloc = dlsym(RTLD_NEXT, "calloc");
    *(void **)&real_realloc = dlsym(RTLD_NEXT, "realloc");
    *(void **)&real_free = dlsym(RTLD_NEXT, "free");
}

static void report(const char *what, unsigned long long n)
{
    if (!report_path[0]) return;
    int fd = open(report_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;
    char line[64];
    int len = snprintf(line, sizeof line, "%s %llu\n", what, n); /* no allocation */
    if (len > 0) (void)!write(fd, line, (size_t)len);
    close(fd);
}

/* Is this call the one to fail? Counts every call once armed. */
static bool should_fail(void)
{
    if (!atomic_load(&is_armed)) return false;
    unsigned long long n = atomic_fetch_add(&call_count, 1) + 1;
    if (n != fail_at) return false;
    report("failed", n);
    return true;
}

__attribute__((constructor)) static void arm(void)
{
    resolve();
    const char *path = getenv("MURPHY_TEST_FAIL_ALLOC_REPORT");
    if (path && strlen(path) < sizeof report_path) memcpy(report_path, path, strlen(path) + 1);
    const char *n = getenv("MURPHY_TEST_FAIL_ALLOC_AFTER");
    if (n) fail_at = strtoull(n, NULL, 10);
    atomic_store(&is_armed, true);
}

__attribute__((destructor)) static void disarm(void)
{
    atomic_store(&is_armed, false);
    report("count", atomic_load(&call_count));
}

void *malloc(size_t bytes)
{
    resolve();
    if (!real_malloc) return boot_alloc(bytes);
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return real_malloc(bytes);
}

void *calloc(size_t count, size_t bytes)
{
    resolve();
    if (!real_calloc) {
        if (bytes && count > SIZE_MAX / bytes) return NULL;
        return boot_alloc(count * bytes);
    }
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return real_calloc(count, bytes);
}

void *realloc(void *old, size_t bytes)
{
    resolve();
    if (is_boot(old) || !real_realloc) { /* rare: only during start-up */
        void *p = boot_alloc(bytes);
        if (p && old) {
            /* the old block's size is unknown: copy what lies before the new block */
            size_t room = (size_t)((unsigned char *)p - (unsigned char *)old);
            memcpy(p, old, room < bytes ? room : bytes);
        }
        return p;
    }
    if (should_fail()) {
        errno = ENOMEM;
        return NULL; /* old stays valid, as realloc promises */
    }
    return real_realloc(old, bytes);
}

void free(void *p)
{
    if (!p || is_boot(p)) return;
    resolve();
    if (real_free) real_free(p);
}
