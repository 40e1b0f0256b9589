/*
 * cprof.h — the only public header of libcprof.
 *
 * libcprof is an in-process profiler for long-running C services: a sampled
 * heap profile (the malloc family is interposed), served over HTTP under
 * /debug/pprof with Go's net/http/pprof contract, so curl and `go tool pprof`
 * work against a C program unchanged.
 *
 * Two ways in:
 *   - no code change:  LD_PRELOAD=libcprof.so ./prog   (configured by CPROF_*)
 *   - linked:          cprof_start(&config) ... cprof_stop()
 *
 * Nothing here ever aborts the host program: a bad setting prints one line on
 * stderr and disables the part it concerns.
 */
#ifndef CPROF_H
#define CPROF_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CPROF_VERSION "0.1.0"

/* Default mean sampling interval of the heap profile, in bytes (Go's value). */
#define CPROF_DEFAULT_HEAP_RATE 524288

/*
 * Configuration for cprof_start(). Zero-initialise it and set what you need:
 * every zero field takes its default.
 */
typedef struct cprof_config {
    /* Mean bytes between heap samples. 0 = default (524288), 1 = every
     * allocation, negative = heap profiling off. */
    int64_t heap_rate;
    /* "HOST:PORT" for the built-in HTTP listener. NULL = "127.0.0.1:6060";
     * "off" = no listener; port 0 picks a free port and prints it once. */
    const char *http_addr;
    /* Seed for the sampling random generator; 0 = seeded from the clock.
     * Set it to make sampling reproducible in tests. */
    uint64_t seed;
    /* Bearer token: every request must send "Authorization: Bearer <token>".
     * NULL = none (then only loopback addresses are served). */
    const char *token;
    /* Nonzero: serve a non-loopback address without a token. */
    int allow_insecure;
    /* PEM files of a certificate and its key: serve HTTPS. Both or neither. */
    const char *tls_cert_file;
    const char *tls_key_file;
} cprof_config;

/*
 * Start profiling. config == NULL reads the CPROF_* environment variables
 * (the same as preload mode). Returns 0 when everything asked for started,
 * -1 when some part could not start (it said why on stderr; the other parts
 * run). Calling it twice without cprof_stop() in between returns -1.
 */
int cprof_start(const cprof_config *config);

/* Stop the HTTP listener and heap sampling. Safe to call more than once. */
void cprof_stop(void);

/*
 * The address the built-in listener is bound to ("127.0.0.1:6060"), or NULL
 * when it is not running. Useful with port 0.
 */
const char *cprof_http_address(void);

#ifdef __cplusplus
}
#endif

#endif /* CPROF_H */
