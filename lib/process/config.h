/*
 * config.h — the process folder: the library's entry points (preload.c),
 * the settings it runs with (config.c: the only reader of CPROF_*
 * variables), a daemon's endpoint following its fork (fork_follow.c), and
 * the library's one-line stderr messages. Subsystems never read the
 * environment: preload.c hands them the values parsed here.
 */
#ifndef CPROF_CONFIG_H
#define CPROF_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "cprof.h"

#define CPROF_DEFAULT_ADDR "127.0.0.1:6060"
#define CPROF_PREFIX "/debug/pprof"

#define CPROF_MAX_TOKEN 512
#define CPROF_MAX_PATH 4096

/* The symbolizer's index budget unless CPROF_SYMBOL_CACHE_MB says. */
#define CPROF_DEFAULT_SYMBOL_CACHE_MB 64
#define CPROF_MAX_SYMBOL_CACHE_MB (1 << 20)
/* What a ?pid=all merge may hold unless CPROF_MERGE_MAX_KB says (KiB). */
#define CPROF_DEFAULT_MERGE_MAX_KB (64 << 10)
#define CPROF_MAX_MERGE_MAX_KB (16 << 20)

/* What CPROF_PROGRAM says of this process. */
typedef enum program_role {
    PROGRAM_ANY = 0, /* unset: any process may bind the TCP port */
    PROGRAM_THIS,    /* set, and names this process: it binds, and says why not */
    PROGRAM_OTHER,   /* set, names another: no TCP listener here, no line about it */
} program_role;

typedef struct cprof_settings {
    int64_t heap_rate;               /* 0 = heap profiling off */
    char http_addr[256];             /* "" = no listener */
    uint64_t seed;                   /* 0 = from the clock */
    char token[CPROF_MAX_TOKEN + 1]; /* "" = no authentication */
    int allow_insecure;
    program_role program; /* CPROF_PROGRAM: whether this process serves TCP */
    char *tls_cert_pem;   /* malloc'd PEM text, NULL = plain HTTP */
    char *tls_key_pem;
    /* From the environment in both modes (cprof_config has no field for
     * them): */
    int follow_fork;                  /* CPROF_FOLLOW_FORK: 1 auto, 0 off */
    int unix_socket;                  /* CPROF_SOCKET: 1 on (default), 0 off */
    int symbolize;                    /* CPROF_SYMBOLIZE: 1 on (default), 2 full, 0 off */
    int verbose;                      /* CPROF_VERBOSE=1: say more on stderr */
    int max_seconds;                  /* CPROF_CPU_MAX_SECONDS: window limit */
    char cpu_profile[CPROF_MAX_PATH]; /* CPROF_CPU_PROFILE: "" = none */
    int cpu_hz;                       /* CPROF_CPU_HZ (with the file); unset: CPU_HZ_ANY */
    int cpu_signal;                   /* CPROF_CPU_SIGNAL, default SIGPROF */
    int dump_signal;                  /* CPROF_SIGNAL, default SIGRTMIN+3; 0 = off */
    int64_t symbol_cache_mb;          /* MiB the symbolizer's indexes may hold */
    int64_t merge_max_kb;             /* CPROF_MERGE_MAX_KB: ?pid=all's memory cap */
    char metrics_path[128];           /* CPROF_METRICS_PATH: "/metrics"; "" = off */
    int64_t mutex_rate;               /* CPROF_MUTEX_RATE: 1 in N contentions; 0 = off */
    int64_t block_rate;               /* CPROF_BLOCK_RATE: ns, as SetBlockProfileRate; 0 = off */
    /* The push agent (lib/push/); push_url "" = off. */
    char push_url[1024];                  /* CPROF_PUSH_URL: Pyroscope's base URL */
    char push_service[128];               /* CPROF_SERVICE_NAME, default the program name */
    char push_labels[1024];               /* CPROF_PUSH_LABELS: "k=v,..." or "" */
    int push_interval;                    /* CPROF_PUSH_INTERVAL: seconds, default 15 */
    int push_hz;                          /* CPROF_PUSH_HZ: CPU samples a CPU-second, 50 */
    char push_token[CPROF_MAX_TOKEN + 1]; /* CPROF_PUSH_TOKEN: Bearer; "" = none */
    char push_tenant[256];                /* CPROF_PUSH_TENANT: X-Scope-OrgID; "" = none */
    char push_cacert[1024]; /* CPROF_PUSH_CACERT: PEM CA file for https; "" = system store */
} cprof_settings;

/* Read CPROF_HEAP_RATE, CPROF_ADDR, CPROF_PROGRAM, CPROF_SEED, CPROF_TOKEN,
 * CPROF_TOKEN_FILE, CPROF_ALLOW_INSECURE, CPROF_TLS_CERT, CPROF_TLS_KEY,
 * and the variables of both modes below (CPROF_SYMBOL_CACHE_MB among them). A malformed value
 * prints one line on stderr and disables what it configures, or falls back to the default where
 * there is one (never the host); access-control errors disable the listener (it never starts less
 * protected than asked). */
void settings_from_env(cprof_settings *s);
/* Linked mode: the cprof_config, plus the variables of both modes:
 * CPROF_FOLLOW_FORK, CPROF_SOCKET, CPROF_SYMBOLIZE, CPROF_VERBOSE, CPROF_CPU_MAX_SECONDS,
 * CPROF_MUTEX_RATE, CPROF_BLOCK_RATE, CPROF_CPU_PROFILE, CPROF_CPU_HZ, CPROF_CPU_SIGNAL,
 * CPROF_SIGNAL, CPROF_METRICS_PATH, CPROF_MERGE_MAX_KB, and the push agent's CPROF_PUSH_URL,
 * CPROF_SERVICE_NAME, CPROF_PUSH_LABELS, CPROF_PUSH_INTERVAL, CPROF_PUSH_TOKEN, CPROF_PUSH_TENANT,
 * CPROF_PUSH_CACERT. */
void settings_from_config(const cprof_config *c, cprof_settings *s);
/* Free what settings_from_* allocated (and wipe the token). */
void settings_free(cprof_settings *s);

/* Whether CPROF_PROGRAM's pattern names this program: an fnmatch(3) glob
 * matched against the last path component of exe or of argv0 when pattern
 * has no '/', against the whole of exe or argv0 when it has one. exe or
 * argv0 may be NULL or "". 1 or 0. */
int program_matches(const char *pattern, const char *exe, const char *argv0);

/* Pyroscope's application name for a program called `name` (its last path
 * component): every character outside [A-Za-z0-9_.-] becomes '_'; "cprof"
 * when nothing is left. Into out (cap bytes). Pure. */
void push_default_service(const char *name, char *out, size_t cap);

/* Parse a whole decimal integer in [min, max]; 0 on success, -1 otherwise. */
int parse_int64(const char *text, int64_t min, int64_t max, int64_t *out);

/* "cprof: <message>\n" on stderr in a single write(2), no stdio. */
void cprof_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
