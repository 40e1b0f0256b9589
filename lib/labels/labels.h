/*
 * labels.h — profiler labels, Go's pprof.Do / SetGoroutineLabels for C
 * threads: a small set of string key/value pairs a thread carries, copied
 * into every sample taken on it (CPU, heap, mutex, block, threads) as
 * profile.proto string labels.
 *
 *   labels.c   the per-thread store behind cprof_label_set/clear, the
 *              label-set interner (set -> small id) the collectors key on,
 *              and the id -> profile_label conversion the builders use
 *
 * Collectors never copy strings: they ask labels_current() for the calling
 * thread's label-set id (0 = no labels), which is async-signal-safe,
 * lock-free and malloc-free, and key their samples on (stack, id). The
 * profile builders turn an id back into labels with labels_to_profile.
 */
#ifndef CPROF_LABELS_H
#define CPROF_LABELS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pprof/profile.h"

#define LABELS_MAX_KEYS 4           /* per thread */
#define LABELS_KEY_MAX 32           /* bytes with the NUL: keys keep 31 */
#define LABELS_VALUE_MAX 64         /* bytes with the NUL: values keep 63 */
#define LABELS_MAX_SETS 1024        /* distinct label sets the process keeps */
#define LABELS_THREADS 4096         /* threads that may carry labels at once */
#define LABELS_NONE 0u              /* the id of the empty set */
#define LABELS_OVERFLOW 0xFFFFFFFEu /* the id of every set past LABELS_MAX_SETS */
#define LABELS_OVERFLOW_KEY "cprof_labels"
#define LABELS_OVERFLOW_VALUE "overflow"

/* The calling thread's current label-set id: LABELS_NONE when it has no
 * labels, LABELS_OVERFLOW when the interner is full. Async-signal-safe,
 * lock-free, malloc-free: the CPU signal handler and the hooks' sampled
 * slow paths call it. A thread that never set a label pays one TLS load. */
uint32_t labels_current(void);

/* Fill out[0..LABELS_MAX_KEYS) with the labels of set id (pointers into
 * the interner's immutable memory, valid for the process's life; sorted
 * by key). Returns how many (0 for LABELS_NONE or an unknown id). The
 * first use of LABELS_OVERFLOW prints one stderr line. Profiler threads
 * only (may log). */
size_t labels_to_profile(uint32_t id, profile_label *out);

/* The id of each thread that carries labels now, read from another thread
 * (a seqlock retry when the thread changes them meanwhile): fn(tid, id,
 * ctx) per thread with a non-empty set. Profiler threads only. */
typedef void (*labels_thread_fn)(pid_t tid, uint32_t id, void *ctx);
void labels_for_each_thread(labels_thread_fn fn, void *ctx);

/* Distinct label sets interned so far (the index page, tests). */
size_t labels_sets_used(void);

/* Go's "{"k":"v", ...}" rendering of set id into out (the debug=1 text's
 * "# labels:" line); "" for an empty set. */
void labels_format_go(uint32_t id, char *out, size_t len);

#endif
