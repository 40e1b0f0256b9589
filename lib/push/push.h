/*
 * push.h — the push folder: the library's agent that sends continuous
 * profiles to Grafana Pyroscope (push_agent.c), for hosts nothing scrapes.
 *
 * config.c parses CPROF_PUSH_* and CPROF_SERVICE_NAME; preload.c starts
 * the agent with the values; metrics.c reads its counters. The request is
 * common/pyroscope.c's, the one `cprof push` sends.
 */
#ifndef CPROF_PUSH_H
#define CPROF_PUSH_H

#include <stdint.h>

/* How many encoded profiles wait at most (each interval adds two: CPU and
 * memory); a new one beyond that drops the oldest waiting one. */
#define PUSH_QUEUE_MAX 8
/* The longest the host's exit waits for the last interval's push. */
#define PUSH_EXIT_FLUSH_MS 2000
/* The agent's CPU rate unless CPROF_PUSH_HZ says otherwise: half Go's 100.
 * The samples are nearly all of an idle agent's cost (the signal, the
 * unwind and what both take from the program's caches: 12-30 us each on
 * bench/churn), so the rate sets it: 0.14-0.33 % of churn's CPU at 100 Hz,
 * 0.07-0.23 % here (rarer samples find colder caches, so halving the rate
 * takes off ~40 %), for an always-on profile whose intervals (750 samples
 * a busy thread in 15 s) and their sums in Pyroscope need no more
 * (BENCHMARKS.md, "Push agent overhead"). */
#define PUSH_DEFAULT_HZ 50

typedef struct push_config {
    const char *url;     /* Pyroscope's base URL, http:// or https:// */
    const char *service; /* the application name */
    const char *labels;  /* "k=v,..." or "" */
    int interval;        /* seconds, >= 1 */
    int hz;              /* CPU samples a CPU-second (1-5000; 0 = PUSH_DEFAULT_HZ).
                            An HTTP /profile while the agent runs gets this rate. */
    const char *token;   /* "" = no Authorization header */
    const char *tenant;  /* "" = no X-Scope-OrgID header */
    const char *cacert;  /* PEM file of the CAs to trust for https (CURLOPT_CAINFO);
                            "" or NULL = libcurl's default, the system's store.
                            Peer and host verification are always on. */
} push_config;

/* Start the agent thread (own_threads.c: signals blocked, internal; it
 * copies the config). 0, or -1 with one stderr line (already running, no
 * memory, no thread). Called with the library's start lock held. */
int push_agent_start(const push_config *c);

/* Stop the agent: with flush, the interval so far is collected and the
 * queue given at most PUSH_EXIT_FLUSH_MS to go out; without, what waits is
 * dropped. Bounded: never waits more than PUSH_EXIT_FLUSH_MS + 1 s for the
 * thread. Nothing in a forked child (the agent is its parent's). */
void push_agent_stop(int flush);

/* The agent's counters since start (relaxed reads; all 0 without one). */
typedef struct push_counts {
    uint64_t ok;      /* requests Pyroscope accepted (2xx) */
    uint64_t failed;  /* attempts that failed (transport error, non-2xx) */
    uint64_t dropped; /* profiles dropped: queue full, or refused for good */
    uint64_t queued;  /* profiles waiting now */
    int running;      /* 1 while the agent runs in this process */
} push_counts;
void push_agent_counts(push_counts *out);

#endif
