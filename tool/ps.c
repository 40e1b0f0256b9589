/*
 * ps.c — `cprof ps`: the processes with libcprof loaded, found by their
 * sockets in the runtime directories (procs.h), as `jps` lists JVMs. Per
 * process: pid, parent, role, uptime, threads and program from /proc, the
 * sampled heap in use asked over its socket (the first line of
 * /debug/pprof/heap?debug=1, with a short timeout), and the socket path.
 * Sockets of pids that no longer exist are skipped.
 */
#include "ps.h"

#include <curl/curl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc_stat.h"
#include "procs.h"
#include "arena.h"
#include "rundir.h"

#define HEAP_TIMEOUT_MS 2000L

typedef struct proc_row {
    long pid, ppid, threads;
    double uptime_s;
    char comm[64];
    char exe[4096];
    char *sock;
    long long heap; /* -1: unknown */
} proc_row;

/* pid's /proc facts into r; 0, or -1 when the process is gone. */
static int read_proc(long pid, proc_row *r)
{
    proc_stat st;
    if (proc_stat_read(pid, &st) != 0)
        return -1;
    snprintf(r->comm, sizeof r->comm, "%s", st.comm);
    r->ppid = st.ppid;
    r->threads = st.num_threads;
    double up = 0;
    FILE *f = fopen("/proc/uptime", "r");
    if (f) {
        if (fscanf(f, "%lf", &up) != 1)
            up = 0;
        fclose(f);
    }
    r->uptime_s = up - (double)st.start_ticks / (double)sysconf(_SC_CLK_TCK);
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/exe", pid);
    ssize_t len = readlink(path, r->exe, sizeof r->exe - 1);
    r->exe[len > 0 ? len : 0] = '\0';
    r->pid = pid;
    return 0;
}

typedef struct first_line {
    char text[256];
    size_t len;
} first_line;

static size_t on_heap_text(char *data, size_t size, size_t n, void *ud)
{
    first_line *fl = ud;
    size_t total = size * n;
    for (size_t i = 0; i < total; i++) {
        if (data[i] == '\n' || fl->len + 1 >= sizeof fl->text)
            return 0; /* enough: stop the transfer */
        fl->text[fl->len++] = data[i];
        fl->text[fl->len] = '\0';
    }
    return total;
}

/* The sampled heap in use of the process at sock, in bytes, or -1. */
static long long heap_in_use(const char *sock)
{
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    first_line fl = {.len = 0};
    curl_easy_setopt(c, CURLOPT_URL, "http://localhost/debug/pprof/heap?debug=1");
    curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, HEAP_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "cprof/0.1");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_heap_text);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &fl);
    curl_easy_perform(c); /* stopped on purpose after the first line */
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    long long objects, bytes;
    /* "heap profile: INUSE_OBJECTS: INUSE_BYTES [ALLOC...] @ heap/RATE" */
    if (code != 200 || sscanf(fl.text, "heap profile: %lld: %lld", &objects, &bytes) != 2)
        return -1;
    return bytes;
}

/* The role of r among rows: "exec'd" when its parent is profiled and runs
 * another executable, "forked" when the same one, "main" otherwise. */
static const char *role_of(const proc_row *r, const proc_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (rows[i].pid == r->ppid)
            return strcmp(rows[i].exe, r->exe) == 0 ? "forked" : "exec'd";
    }
    return "main";
}

static void human_bytes(long long b, char *out, size_t cap)
{
    if (b < 0)
        snprintf(out, cap, "-");
    else if (b < 1024)
        snprintf(out, cap, "%lldB", b);
    else if (b < 1024 * 1024)
        snprintf(out, cap, "%.1fkB", (double)b / 1024);
    else if (b < 1024LL * 1024 * 1024)
        snprintf(out, cap, "%.1fMB", (double)b / (1024 * 1024));
    else
        snprintf(out, cap, "%.1fGB", (double)b / (1024.0 * 1024 * 1024));
}

static void human_uptime(double s, char *out, size_t cap)
{
    long t = s < 0 ? 0 : (long)s;
    if (t < 3600)
        snprintf(out, cap, "%ldm%02lds", t / 60, t % 60);
    else if (t < 86400)
        snprintf(out, cap, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else
        snprintf(out, cap, "%ldd%02ldh", t / 86400, t / 3600 % 24);
}

static int by_pid(const void *a, const void *b)
{
    long x = ((const proc_row *)a)->pid, y = ((const proc_row *)b)->pid;
    return (x > y) - (x < y);
}

/* Every live process with a socket in dirs, sorted by pid (caller frees
 * rows[i].sock and the array); the count in *n. */
static proc_row *collect(const strlist *dirs, size_t *n)
{
    proc_row *rows = NULL;
    size_t cap = 0;
    *n = 0;
    for (size_t i = 0; i < dirs->n; i++) {
        if (rundir_check(dirs->v[i], 0) != 0 && geteuid() != 0)
            continue; /* not ours, or open to others: not trusted */
        DIR *d = opendir(dirs->v[i]);
        if (!d)
            continue;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            long pid = rundir_socket_pid(e->d_name);
            proc_row r = {.heap = -1};
            if (pid <= 0 || read_proc(pid, &r) != 0)
                continue; /* not a socket name, or a stale one */
            if (*n == cap) {
                cap = cap ? cap * 2 : 16;
                rows = xrealloc(rows, cap, sizeof *rows);
            }
            if (asprintf(&r.sock, "%s/%s", dirs->v[i], e->d_name) < 0)
                die_oom();
            rows[(*n)++] = r;
        }
        closedir(d);
    }
    if (*n)
        qsort(rows, *n, sizeof *rows, by_pid);
    return rows;
}

int ps_main(int argc, char **argv)
{
    if (argc > 1) {
        int help =
            !strcmp(argv[1], "-h") || !strcmp(argv[1], "-help") || !strcmp(argv[1], "--help");
        fprintf(help ? stdout : stderr,
                "usage: cprof ps\n\n"
                "Lists the processes of this user (as root: of every user) that have libcprof\n"
                "loaded, from their sockets in $XDG_RUNTIME_DIR/cprof (else /tmp/cprof-UID):\n"
                "pid, parent, role (main, forked, exec'd), uptime, threads, sampled heap in use\n"
                "and the source that reaches each (pid:PID, e.g. cprof top pid:PID/heap).\n");
        return help ? 0 : 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    strlist dirs = {0};
    procs_dirs(&dirs);
    size_t n;
    proc_row *rows = collect(&dirs, &n);
    printf("%-8s %-8s %-7s %-9s %7s %10s  %-16s %s\n", "PID", "PPID", "ROLE", "UPTIME", "THREADS",
           "HEAP", "PROGRAM", "SOCKET");
    for (size_t i = 0; i < n; i++) {
        char heap[32], up[32];
        human_bytes(heap_in_use(rows[i].sock), heap, sizeof heap);
        human_uptime(rows[i].uptime_s, up, sizeof up);
        printf("%-8ld %-8ld %-7s %-9s %7ld %10s  %-16s %s\n", rows[i].pid, rows[i].ppid,
               role_of(&rows[i], rows, n), up, rows[i].threads, heap, rows[i].comm, rows[i].sock);
    }
    for (size_t i = 0; i < n; i++)
        free(rows[i].sock);
    free(rows);
    strlist_free(&dirs);
    return 0;
}
