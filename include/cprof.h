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

#include <stddef.h>
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

/* ---- Serving the endpoints from your own HTTP server ----
 *
 * cprof_handle answers one request for any /debug/pprof endpoint, so a
 * program can mount cprof in the server it already runs, under any prefix
 * and behind its own authentication (as gin-contrib/pprof's RouteRegister
 * does for Go). Strip your prefix and pass the rest as `path` ("/" for the
 * index, "/heap", "/symbol"...). The replies are byte-identical to the
 * built-in listener's: both go through one router. When cprof_start was
 * given a token, cprof_handle checks it too.
 */
typedef struct cprof_header {
    const char *name;
    const char *value;
} cprof_header;

typedef struct cprof_request {
    const char *method; /* "GET", "HEAD", "POST" */
    const char *path;   /* relative to your mount point, starting with '/' */
    const char *query;  /* raw query string without '?', or NULL */
    const cprof_header *headers;
    size_t n_headers;
    const void *body; /* POST body (the /symbol endpoint), or NULL */
    size_t body_len;
} cprof_request;

#define CPROF_MAX_REPLY_HEADERS 8

typedef struct cprof_response {
    int status;
    cprof_header headers[CPROF_MAX_REPLY_HEADERS]; /* Content-Type first */
    size_t n_headers;
    const void *body;
    size_t body_len;
    void *internal_; /* owned by cprof: release with cprof_response_free */
} cprof_response;

/* Answer req into *resp (always filled: errors are 4xx/5xx replies in Go's
 * style). Runs on the calling thread for as long as the profile takes. */
void cprof_handle(const cprof_request *req, cprof_response *resp);
void cprof_response_free(cprof_response *resp);

/* The same on a cprof thread, for event-loop servers that must not block:
 * req is copied, and done(resp, user) is called from that thread when the
 * reply is ready (hand it back to your loop; free it with
 * cprof_response_free). Returns 0, or -1 when no thread could be started
 * (then call cprof_handle instead). */
typedef void (*cprof_done_fn)(cprof_response *resp, void *user);
int cprof_handle_async(const cprof_request *req, cprof_done_fn done, void *user);

/* ---- CPU profile to a file (no HTTP needed) ----
 *
 * Sample every thread's CPU time at hz samples per CPU-second (1..5000;
 * 0: the push agent's rate while it samples, else 100) until
 * cprof_cpu_stop, then write a gzipped profile.proto to path (read it with
 * `go tool pprof`). Threads created meanwhile are
 * sampled too. One CPU profile at a time, HTTP requests included:
 * cprof_cpu_start returns -1 (with one line on stderr) when one runs. A
 * profile still running at exit is written then. CPROF_CPU_PROFILE=FILE
 * does the same for a whole run with no code change.
 */
int cprof_cpu_start(const char *path, int hz);
/* Stop and write the file. 0, or -1 when none was running or the file
 * could not be written (said on stderr). */
int cprof_cpu_stop(void);

/* ---- Labels (Go's pprof.Do / SetGoroutineLabels) ----
 *
 * A thread carries up to 4 string labels; every sample taken on it while
 * they are set (CPU, heap allocations, mutex and block waits, the threads
 * profile) carries them as profile.proto string labels, so
 * `go tool pprof -tagfocus=request=checkout` and `cprof tags` select by
 * them. Samples with the same stack and different labels stay distinct.
 *
 * cprof_label_set(key, value): set key to value on the calling thread
 * (replacing its value when set). Both strings are copied: keys keep 31
 * bytes, values 63 (longer ones are cut at a UTF-8 character boundary).
 * value NULL clears key. Returns 0, or -1 when refused: key NULL or empty,
 * the thread already carries 4 other keys, or 4096 threads already carry
 * labels (said once on stderr). Costs about 15 ns; a thread that never
 * sets a label pays nothing.
 *
 * cprof_label_clear(key): remove key from the calling thread's labels;
 * key NULL removes them all. Returns 0 (also when key was not set).
 *
 * Labels are per thread and stay until cleared or the thread exits; a
 * forked child's thread keeps the labels its parent thread had. At most
 * 1024 distinct label sets are kept per process; samples of later sets
 * carry cprof_labels=overflow (said once on stderr). Neither function is
 * async-signal-safe: do not call them from a signal handler.
 */
int cprof_label_set(const char *key, const char *value);
int cprof_label_clear(const char *key);

/* ---- Spans and events on the trace's timeline ----
 *
 * While /debug/pprof/trace collects, these mark the calling thread's
 * timeline: cprof_span_begin(name) ... cprof_span_end() is a slice named
 * `name` on the thread's spans track (spans nest: an end closes the
 * innermost open span of the thread), cprof_event(name) an instant. The
 * name is copied at the call (at most 47 bytes kept), so any string will
 * do, a stack buffer included. When no trace runs each call is one relaxed
 * atomic load and a return (about a nanosecond); while one runs it records
 * into the thread's own buffer: no lock, no malloc (the thread's first
 * record maps its buffer); errno is left untouched. Not for signal
 * handlers: a handler interrupting its own thread's call may garble one event.
 * A span begun before the trace shows as "(span begun before the trace)"
 * from the trace's start; one still open at its end is cut there.
 */
void cprof_span_begin(const char *name);
void cprof_span_end(void);
void cprof_event(const char *name);

/*
 * The address the built-in listener is bound to ("127.0.0.1:6060"), or NULL
 * when it is not running. Useful with port 0.
 */
const char *cprof_http_address(void);

#ifdef __cplusplus
}
#endif

#endif /* CPROF_H */
