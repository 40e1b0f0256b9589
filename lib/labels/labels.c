/*
 * labels.c — the thread label store and the label-set interner (labels.h).
 *
 * Design:
 *   - A thread that sets its first label claims a slot of a process-wide
 *     array (LABELS_THREADS slots, mmap'd once, never freed), found again
 *     through one initial-exec TLS pointer (`label_tls`, no
 *     __tls_get_addr). A thread with no labels has a NULL pointer: the
 *     collectors' only cost on it is that load. The slot goes back at
 *     thread exit (a pthread key destructor) and a forked child keeps only
 *     the forking thread's slot (re-tagged with its new tid).
 *   - A slot holds two copies of the set (double buffer). cprof_label_set
 *     writes the inactive copy (the current one plus the change, kept
 *     sorted by key), then publishes it by storing `cur`. A reader on the
 *     same thread — the CPU signal handler, the heap and contention slow
 *     paths — reads buf[cur], which nobody writes while it is current, so
 *     a signal arriving in the middle of a set sees the old set whole.
 *     Readers on other threads (the threads profile) use `seq` as a
 *     seqlock: odd while a set is being written, retried when it moved.
 *   - Collectors key samples on a label-set id, not strings. The interner
 *     is an insert-only, lock-free, malloc-free table (open addressing
 *     over ids, claimed with a CAS; sets copied into an mmap'd array and
 *     immutable once published), so a signal handler may intern. A slot
 *     caches the id of each copy, so interning happens once per change of
 *     a thread's labels, at its first sample. Two threads interning the
 *     same new set at once, or a handler interrupting its own thread's
 *     insert, may create a duplicate id of the same set: harmless (the
 *     profile carries both samples with equal labels; pprof merges them).
 *   - Bounds: LABELS_MAX_SETS distinct sets. Past it every new set gets
 *     LABELS_OVERFLOW, rendered as cprof_labels=overflow (one stderr line
 *     the first time a profile contains it): such samples stay visible and
 *     are never attributed to another set. Keys keep 31 bytes, values 63
 *     (cut at a UTF-8 character boundary); a thread keeps LABELS_MAX_KEYS
 *     keys (a fifth key is refused with -1). LABELS_THREADS threads may
 *     carry labels at once; past it cprof_label_set returns -1.
 *
 * Not async-signal-safe: cprof_label_set/clear themselves (a handler must
 * not set labels on the thread it interrupted).
 */
#include "labels.h"

#include "cprof.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/hash.h"
#include "process/config.h"

#define EXPORT __attribute__((visibility("default")))
#define ID_UNKNOWN 0xFFFFFFFFu /* a copy not interned yet */
#define INDEX_SLOTS (2 * LABELS_MAX_SETS)
#define INDEX_EMPTY 0u
#define INDEX_BUSY 0xFFFFFFFFu
#define SEQLOCK_TRIES 1000

typedef struct label_kv {
    char key[LABELS_KEY_MAX];
    char value[LABELS_VALUE_MAX];
} label_kv;

typedef struct label_set {
    uint32_t n;
    uint64_t hash;
    label_kv kv[LABELS_MAX_KEYS];
} label_set;

typedef struct label_slot {
    _Atomic int32_t tid; /* 0: free */
    _Atomic uint32_t seq;
    _Atomic uint32_t cur;
    _Atomic uint32_t ids[2];
    label_set buf[2];
} label_slot;

typedef struct label_store {
    label_slot slots[LABELS_THREADS];
    _Atomic uint32_t index[INDEX_SLOTS]; /* id, or EMPTY/BUSY */
    _Atomic uint32_t n_sets;             /* ids handed out (may pass the cap) */
    label_set sets[LABELS_MAX_SETS + 1]; /* by id; 0 unused */
} label_store;

static _Atomic(label_store *) store;
static __thread label_slot *label_tls __attribute__((tls_model("initial-exec")));
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;
static atomic_int overflow_logged;

/* ---- the store ---------------------------------------------------------- */

/* The store, mapped at first use (lock-free; async-signal-safe). NULL when
 * the mapping failed or want_map is 0 and it does not exist yet. */
static label_store *store_get(int want_map)
{
    label_store *s = atomic_load_explicit(&store, memory_order_acquire);
    if (s || !want_map)
        return s;
    void *m = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    label_store *expect = NULL;
    if (!atomic_compare_exchange_strong(&store, &expect, (label_store *)m)) {
        munmap(m, sizeof *s);
        return expect;
    }
    return m;
}

/* FNV-1a over each key and value up to its NUL, mixed. Pure. */
static uint64_t set_hash(const label_set *set)
{
    uint64_t h = 0;
    for (uint32_t i = 0; i < set->n; i++) {
        h = hash_mix(h, hash_fnv1a(set->kv[i].key, strlen(set->kv[i].key), 1));
        h = hash_mix(h, hash_fnv1a(set->kv[i].value, strlen(set->kv[i].value), 2));
    }
    return h | 1;
}

/* 1 when a and b hold the same pairs (both sorted). Pure. */
static int set_equal(const label_set *a, const label_set *b)
{
    if (a->n != b->n || a->hash != b->hash)
        return 0;
    for (uint32_t i = 0; i < a->n; i++) {
        if (strcmp(a->kv[i].key, b->kv[i].key) != 0 || strcmp(a->kv[i].value, b->kv[i].value) != 0)
            return 0;
    }
    return 1;
}

/* The id of set (its hash computed): found, or inserted. LABELS_NONE for
 * an empty set, LABELS_OVERFLOW past the cap or when the store is
 * missing. Lock-free, malloc-free, async-signal-safe. */
static uint32_t intern(label_store *s, label_set *set)
{
    if (set->n == 0)
        return LABELS_NONE;
    set->hash = set_hash(set);
    for (unsigned probe = 0; probe < INDEX_SLOTS; probe++) {
        _Atomic uint32_t *slot = &s->index[(set->hash + probe) & (INDEX_SLOTS - 1)];
        uint32_t id = atomic_load_explicit(slot, memory_order_acquire);
        if (id == INDEX_EMPTY) {
            if (atomic_load_explicit(&s->n_sets, memory_order_relaxed) >= LABELS_MAX_SETS)
                return LABELS_OVERFLOW;
            if (!atomic_compare_exchange_strong(slot, &id, INDEX_BUSY)) {
                if (id == INDEX_BUSY)
                    continue;
                /* another set won the slot: id holds it, compare below */
            } else {
                uint32_t mine = atomic_fetch_add(&s->n_sets, 1) + 1;
                if (mine > LABELS_MAX_SETS)
                    return LABELS_OVERFLOW; /* the slot stays BUSY: skipped */
                s->sets[mine] = *set;
                atomic_store_explicit(slot, mine, memory_order_release);
                return mine;
            }
        }
        if (id == INDEX_BUSY) /* being written (maybe by our own thread) */
            continue;
        if (set_equal(&s->sets[id], set))
            return id;
    }
    return LABELS_OVERFLOW;
}

/* ---- the calling thread's slot ------------------------------------------- */

/* Give the slot back: empty copies first, then the tid (release). */
static void slot_release(label_slot *slot)
{
    atomic_fetch_add_explicit(&slot->seq, 1, memory_order_relaxed);
    slot->buf[0].n = slot->buf[1].n = 0;
    atomic_store_explicit(&slot->ids[0], LABELS_NONE, memory_order_relaxed);
    atomic_store_explicit(&slot->ids[1], LABELS_NONE, memory_order_relaxed);
    atomic_store_explicit(&slot->cur, 0, memory_order_relaxed);
    atomic_fetch_add_explicit(&slot->seq, 1, memory_order_release);
    atomic_store_explicit(&slot->tid, 0, memory_order_release);
}

/* pthread key destructor: the thread is exiting. */
static void thread_exit(void *arg)
{
    label_slot *slot = arg;
    label_tls = NULL;
    if (slot)
        slot_release(slot);
}

/* In a forked child only the forking thread lives: its slot takes the new
 * tid, every other slot is freed. */
static void atfork_child(void)
{
    label_store *s = store_get(0);
    if (!s)
        return;
    for (size_t i = 0; i < LABELS_THREADS; i++) {
        label_slot *slot = &s->slots[i];
        if (slot == label_tls)
            atomic_store(&slot->tid, (int32_t)syscall(SYS_gettid));
        else if (atomic_load(&slot->tid) != 0)
            slot_release(slot);
    }
}

/* Once per process: the exit destructor's key and the fork handler. */
static void setup(void)
{
    pthread_key_create(&exit_key, thread_exit);
    pthread_atfork(NULL, NULL, atfork_child);
}

/* The calling thread's slot, claimed when create and it has none. NULL
 * when none (or none free: said once on stderr). */
static label_slot *my_slot(int create)
{
    label_slot *slot = label_tls;
    if (slot || !create)
        return slot;
    pthread_once(&setup_once, setup);
    label_store *s = store_get(1);
    if (!s)
        return NULL;
    int32_t tid = (int32_t)syscall(SYS_gettid);
    for (size_t k = 0; k < LABELS_THREADS; k++) {
        label_slot *cand = &s->slots[((size_t)tid * 2654435761u + k) % LABELS_THREADS];
        int32_t free_tid = 0;
        if (atomic_load_explicit(&cand->tid, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_strong(&cand->tid, &free_tid, tid)) {
            label_tls = cand;
            pthread_setspecific(exit_key, cand);
            return cand;
        }
    }
    static atomic_int said;
    if (!atomic_exchange(&said, 1))
        cprof_log("labels: more than %d threads carry labels; new ones are refused",
                  LABELS_THREADS);
    return NULL;
}

/* Copy at most cap-1 bytes of src into dst, cut at a UTF-8 boundary. A
 * byte loop: labels are short, and it beats strnlen + memcpy through the
 * PLT by a few ns a call. */
static inline void copy_bounded(char *dst, const char *src, size_t cap)
{
    size_t n = 0;
    while (n < cap - 1 && src[n]) {
        dst[n] = src[n];
        n++;
    }
    if (n == cap - 1 && src[n]) /* cut: not inside a character */
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    dst[n] = '\0';
}

/* strcmp for short keys: an inline loop (libc's vector strcmp spends
 * longer setting up than a 10-byte key takes; it was a third of a set). */
static inline int key_cmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

/* Publish next (built in buf[1 - cur]) as the slot's current set. Only
 * the owning thread writes seq: plain load and store, no locked
 * instruction (they were half of a set's cost). */
static void publish(label_slot *slot, unsigned next)
{
    atomic_signal_fence(memory_order_seq_cst);
    atomic_store_explicit(&slot->cur, next, memory_order_relaxed);
    uint32_t seq = atomic_load_explicit(&slot->seq, memory_order_relaxed);
    atomic_store_explicit(&slot->seq, seq + 1, memory_order_release);
}

/* Begin writing the inactive copy: seq odd, its id unknown. Returns it. */
static unsigned begin_write(label_slot *slot)
{
    unsigned next = 1 - atomic_load_explicit(&slot->cur, memory_order_relaxed);
    uint32_t seq = atomic_load_explicit(&slot->seq, memory_order_relaxed);
    atomic_store_explicit(&slot->seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&slot->ids[next], ID_UNKNOWN, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    return next;
}

/* Set key to value on the calling thread (value NULL: clear it); see
 * cprof.h. Returns 0, or -1 (refused: bad key, LABELS_MAX_KEYS keys
 * already, no slot). Not async-signal-safe. */
EXPORT int cprof_label_set(const char *key, const char *value)
{
    if (!key || !*key)
        return -1;
    if (!value)
        return cprof_label_clear(key);
    label_slot *slot = my_slot(1);
    if (!slot)
        return -1;
    char k[LABELS_KEY_MAX];
    copy_bounded(k, key, sizeof k);
    const label_set *old = &slot->buf[atomic_load_explicit(&slot->cur, memory_order_relaxed)];
    /* Where k goes: its own entry, or the sorted insertion point. */
    uint32_t at = 0;
    int cmp = 1;
    for (; at < old->n; at++) {
        cmp = key_cmp(old->kv[at].key, k);
        if (cmp >= 0)
            break;
    }
    int replace = at < old->n && cmp == 0;
    if (!replace && old->n >= LABELS_MAX_KEYS)
        return -1;
    unsigned next = begin_write(slot);
    label_set *nw = &slot->buf[next];
    memcpy(nw->kv, old->kv, at * sizeof old->kv[0]);
    if (replace) {
        memcpy(nw->kv + at + 1, old->kv + at + 1, (old->n - at - 1) * sizeof old->kv[0]);
        nw->n = old->n;
        memcpy(nw->kv[at].key, k, sizeof k);
    } else {
        memcpy(nw->kv + at + 1, old->kv + at, (old->n - at) * sizeof old->kv[0]);
        nw->n = old->n + 1;
        memcpy(nw->kv[at].key, k, sizeof k);
    }
    copy_bounded(nw->kv[at].value, value, LABELS_VALUE_MAX);
    publish(slot, next);
    return 0;
}

/* Remove key from the calling thread's labels (NULL: all of them).
 * Returns 0 (also when it was not set). Not async-signal-safe. */
EXPORT int cprof_label_clear(const char *key)
{
    label_slot *slot = my_slot(0);
    if (!slot)
        return 0;
    const label_set *old = &slot->buf[atomic_load_explicit(&slot->cur, memory_order_relaxed)];
    uint32_t at = old->n;
    if (key) {
        char k[LABELS_KEY_MAX];
        copy_bounded(k, key, sizeof k);
        for (at = 0; at < old->n && key_cmp(old->kv[at].key, k) != 0; at++)
            ;
        if (at == old->n)
            return 0;
    }
    unsigned next = begin_write(slot);
    label_set *nw = &slot->buf[next];
    if (!key) {
        nw->n = 0;
    } else {
        memcpy(nw->kv, old->kv, at * sizeof old->kv[0]);
        memcpy(nw->kv + at, old->kv + at + 1, (old->n - at - 1) * sizeof old->kv[0]);
        nw->n = old->n - 1;
    }
    publish(slot, next);
    return 0;
}

/* ---- readers ----------------------------------------------------------- */

/* The calling thread's label-set id (labels.h): the cached id of its
 * current copy, interned at the first call after a change. Async-signal-
 * safe, lock- and malloc-free. */
uint32_t labels_current(void)
{
    label_slot *slot = label_tls;
    if (!slot)
        return LABELS_NONE;
    unsigned c = atomic_load_explicit(&slot->cur, memory_order_relaxed);
    atomic_signal_fence(memory_order_seq_cst);
    uint32_t id = atomic_load_explicit(&slot->ids[c], memory_order_relaxed);
    if (id != ID_UNKNOWN)
        return id;
    label_store *s = store_get(0);
    if (!s)
        return LABELS_NONE;
    label_set copy = slot->buf[c];
    id = intern(s, &copy);
    atomic_store_explicit(&slot->ids[c], id, memory_order_relaxed);
    return id;
}

/* One consistent copy of another thread's current set: 0, or -1 when it
 * kept changing (or the slot was freed) for SEQLOCK_TRIES reads. */
static int read_other(label_slot *slot, int32_t tid, label_set *out)
{
    for (int t = 0; t < SEQLOCK_TRIES; t++) {
        if (t)
            __builtin_ia32_pause();
        uint32_t s1 = atomic_load_explicit(&slot->seq, memory_order_acquire);
        if (s1 & 1)
            continue;
        unsigned c = atomic_load_explicit(&slot->cur, memory_order_relaxed) & 1;
        memcpy(out, &slot->buf[c], sizeof *out);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&slot->seq, memory_order_relaxed) == s1 &&
            atomic_load_explicit(&slot->tid, memory_order_relaxed) == tid &&
            out->n <= LABELS_MAX_KEYS)
            return 0;
    }
    return -1;
}

/* fn(tid, id, ctx) for every thread carrying a non-empty set, read under
 * each slot's seqlock. Profiler threads. */
void labels_for_each_thread(labels_thread_fn fn, void *ctx)
{
    label_store *s = store_get(0);
    if (!s)
        return;
    for (size_t i = 0; i < LABELS_THREADS; i++) {
        label_slot *slot = &s->slots[i];
        int32_t tid = atomic_load_explicit(&slot->tid, memory_order_acquire);
        label_set copy;
        if (tid == 0 || read_other(slot, tid, &copy) != 0 || copy.n == 0)
            continue;
        fn(tid, intern(s, &copy), ctx);
    }
}

/* Distinct sets interned (at most LABELS_MAX_SETS). Lock-free read. */
size_t labels_sets_used(void)
{
    label_store *s = store_get(0);
    uint32_t n = s ? atomic_load_explicit(&s->n_sets, memory_order_relaxed) : 0;
    return n > LABELS_MAX_SETS ? LABELS_MAX_SETS : n;
}

/* out[0..n) = the labels of set id, pointing into the interner (never
 * freed); the overflow set says so once on stderr. Returns n. */
size_t labels_to_profile(uint32_t id, profile_label *out)
{
    if (id == LABELS_OVERFLOW) {
        if (!atomic_exchange(&overflow_logged, 1))
            cprof_log("labels: more than %d distinct label sets; the rest are labelled %s=%s",
                      LABELS_MAX_SETS, LABELS_OVERFLOW_KEY, LABELS_OVERFLOW_VALUE);
        out[0] = (profile_label){.key = LABELS_OVERFLOW_KEY, .str = LABELS_OVERFLOW_VALUE};
        return 1;
    }
    label_store *s = store_get(0);
    if (!s || id == LABELS_NONE || id > LABELS_MAX_SETS ||
        id > atomic_load_explicit(&s->n_sets, memory_order_acquire))
        return 0;
    const label_set *set = &s->sets[id];
    for (uint32_t i = 0; i < set->n; i++)
        out[i] = (profile_label){.key = set->kv[i].key, .str = set->kv[i].value};
    return set->n;
}

/* printf into out at offset at (nothing once full); returns the new
 * offset as if nothing were cut. */
__attribute__((format(printf, 4, 5))) static size_t put(char *out, size_t len, size_t at,
                                                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(at < len ? out + at : NULL, at < len ? len - at : 0, fmt, ap);
    va_end(ap);
    return at + (n > 0 ? (size_t)n : 0);
}

/* Append s to out as a Go %q string (quotes, backslash escapes). */
static size_t put_quoted(char *out, size_t len, size_t at, const char *s)
{
    at = put(out, len, at, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            at = put(out, len, at, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            at = put(out, len, at, "\\x%02x", c);
        else
            at = put(out, len, at, "%c", c);
    }
    return put(out, len, at, "\"");
}

/* Go's {"k":"v", ...} of set id into out (always terminated; "" for no
 * labels). */
void labels_format_go(uint32_t id, char *out, size_t len)
{
    profile_label l[LABELS_MAX_KEYS];
    size_t n = labels_to_profile(id, l);
    if (len)
        out[0] = '\0';
    if (n == 0 || len == 0)
        return;
    size_t at = put(out, len, 0, "{");
    for (size_t i = 0; i < n; i++) {
        at = put(out, len, at, "%s", i ? ", " : "");
        at = put_quoted(out, len, at, l[i].key);
        at = put(out, len, at, ":");
        at = put_quoted(out, len, at, l[i].str);
    }
    put(out, len, at, "}");
}
