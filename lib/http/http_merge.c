/*
 * http_merge.c — ?pid=all: one profile of the whole process tree.
 *
 * Design: the request is sent to every profiled descendant (proc_tree.h)
 * over its Unix socket first, then this process serves its own part on
 * this thread, then the replies are collected with one poll over all the
 * sockets. So every process collects over the same window (a CPU profile
 * of 10 s takes 10 s, not 10 s per process); a reply that is ready early
 * waits in its socket (the remote blocks in its write, on its own thread).
 * Each reply is decoded by the shared kit's decoder (common/profile_model.h,
 * the one the tool uses), its samples labelled pid (numeric: what
 * -tagfocus=pid=1234 matches in go tool pprof and cprof) and program
 * (string), and the kit's merger (google/pprof's profile.Merge) makes one
 * profile of them. Mappings merge by file and build id, and each
 * location's address is rebased into the merged mapping, so the same
 * binary in a master and its workers is one mapping whose addresses still
 * resolve (symbolized or not: CPROF_SYMBOLIZE=off leaves it to the tool).
 *
 * Host safety:
 *  - one merge at a time (an atomic flag; 503 for a second): the interner
 *    is process-wide and not thread-safe, and two listener threads (TCP,
 *    Unix) can each receive a pid=all. The interner is emptied after each
 *    merge, so nothing stays allocated between requests;
 *  - memory: the replies together are capped at the budget (64 MiB, or
 *    CPROF_MERGE_MAX_KB: http_merge_set_budget), and so is each one
 *    decompressed and the merged profile encoded; replies together beyond
 *    it, or a merged profile beyond it, answer a 503 with one line (no
 *    partial profile: a merge missing processes for lack of room would
 *    read as the whole tree); one reply that decodes beyond it alone is
 *    skipped and named in a comment, like an unreachable process. The
 *    decoder's model is a small multiple of that;
 *  - out of memory inside the kit (its allocators have no error return)
 *    longjmps back here through the arena's handler: the request answers
 *    503 and what was fully built is freed (a half-built structure leaks,
 *    once, rather than the host exiting);
 *  - a descendant that has not answered MERGE_GRACE_S after the window is
 *    skipped, as is one that answers an error or something undecodable;
 *    each is named in a comment of the profile, never a hang;
 *  - a fork during a merge: the child clears the flag and abandons the
 *    interner's memory (http_merge_forget_in_child, async-signal-safe).
 */
#include "http.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/intern.h"
#include "common/profile_model.h"
#include "process/own_fds.h"
#include "process/proc_tree.h"

#define MERGE_DEFAULT_BYTES ((size_t)64 << 20)
#define MERGE_MAX_PROCS 256 /* descendants asked; more are named as skipped */
#define MERGE_GRACE_S 10    /* beyond the window, for a descendant to answer */
#define POLL_STEP_MS 100

static atomic_flag merge_busy = ATOMIC_FLAG_INIT;
/* The replies together, each decoded, the result: at most this many bytes. */
static _Atomic size_t merge_max_bytes = MERGE_DEFAULT_BYTES;
static __thread sigjmp_buf *oom_jump;

/* The arena's out-of-memory handler in the library: back to the merge that
 * ran out (only a merge allocates through the kit; abort is unreachable). */
static void merge_oom(void)
{
    if (oom_jump)
        siglongjmp(*oom_jump, 1);
    abort();
}

void http_merge_set_budget(size_t bytes)
{
    atomic_store(&merge_max_bytes, bytes ? bytes : MERGE_DEFAULT_BYTES);
}

/* The budget for messages: "64 MiB", "48 KiB" (into out, len bytes). */
static const char *budget_text(size_t max, char *out, size_t len)
{
    if (max % ((size_t)1 << 20) == 0)
        snprintf(out, len, "%zu MiB", max >> 20);
    else
        snprintf(out, len, "%zu KiB", max >> 10);
    return out;
}

void http_merge_forget_in_child(void)
{
    atomic_flag_clear(&merge_busy);
    intern_abandon();
}

typedef struct member {
    long pid;
    char program[64];
    int fd;         /* -1 once done or never connected */
    buf raw;        /* its reply as read */
    char skip[200]; /* why it is left out, "" when it is in */
    cp_profile *prof;
} member;

typedef struct merge_state {
    member *m;
    size_t n;
    size_t raw_total;
    cp_profile *merged;
} merge_state;

/* Read whatever is ready on the open members until all are done or the
 * deadline; members still open then are skipped. 0, or 1 when the client
 * went away, or -1 with the reason in err when the replies exceed max. */
static int collect(merge_state *st, const http_request *req, int64_t deadline, size_t max,
                   char *err, size_t err_len)
{
    struct pollfd *p = calloc(st->n, sizeof *p);
    size_t *who = calloc(st->n, sizeof *who);
    int rc = 0;
    if (!p || !who) {
        snprintf(err, err_len, "out of memory");
        rc = -1;
    }
    char chunk[65536];
    while (rc == 0) {
        size_t np = 0;
        for (size_t i = 0; i < st->n; i++)
            if (st->m[i].fd >= 0) {
                p[np] = (struct pollfd){.fd = st->m[i].fd, .events = POLLIN};
                who[np++] = i;
            }
        if (np == 0)
            break;
        if (req->client_gone && req->client_gone(req->client_ctx)) {
            rc = 1;
            break;
        }
        if (monotonic_ns() > deadline) {
            for (size_t k = 0; k < np; k++)
                snprintf(st->m[who[k]].skip, sizeof st->m[who[k]].skip,
                         "no complete reply in time");
            break;
        }
        int r = poll(p, (nfds_t)np, POLL_STEP_MS);
        if (r < 0 && errno != EINTR) {
            snprintf(err, err_len, "poll: %s", strerror(errno));
            rc = -1;
            break;
        }
        for (size_t k = 0; r > 0 && k < np; k++) {
            if (!p[k].revents)
                continue;
            member *m = &st->m[who[k]];
            ssize_t got = recv(m->fd, chunk, sizeof chunk, MSG_DONTWAIT);
            if (got < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (got <= 0) {
                if (got < 0)
                    snprintf(m->skip, sizeof m->skip, "read: %s", strerror(errno));
                own_fd_close(m->fd);
                m->fd = -1;
                continue;
            }
            st->raw_total += (size_t)got;
            if (st->raw_total > max) {
                char cap[32];
                snprintf(err, err_len,
                         "the processes' profiles together exceed %s: ask each with ?pid=N",
                         budget_text(max, cap, sizeof cap));
                rc = -1;
                break;
            }
            buf_append(&m->raw, chunk, (size_t)got);
        }
    }
    for (size_t i = 0; i < st->n; i++)
        if (st->m[i].fd >= 0) {
            own_fd_close(st->m[i].fd);
            st->m[i].fd = -1;
        }
    free(p);
    free(who);
    return rc;
}

/* Add labels pid=<pid> (numeric) and program=<program> (string) to every
 * sample of p, keeping each sample's labels in the model's order. */
static void label_samples(cp_profile *p, long pid, const char *program)
{
    const char *pid_key = intern_cstr("pid"), *prog_key = intern_cstr("program");
    const char *prog = intern_cstr(program[0] ? program : "?");
    for (size_t i = 0; i < p->n_samples; i++) {
        cp_sample *s = &p->samples[i];
        cp_label *l = arena_alloc(&p->mem, s->n_labels + 2, sizeof *l);
        size_t n = 0;
        for (size_t j = 0; j < s->n_labels; j++) /* ours replace any of the same key */
            if (s->labels[j].key != pid_key && s->labels[j].key != prog_key)
                l[n++] = s->labels[j];
        l[n++] = (cp_label){.key = pid_key, .num = pid, .unit = STR_EMPTY};
        l[n++] = (cp_label){.key = prog_key, .str = prog, .unit = STR_EMPTY};
        profile_sort_labels(l, n);
        s->labels = l;
        s->n_labels = n;
    }
}

/* Decode member m's reply (or take self's body) into m->prof, labelled; on
 * any failure m->skip says why. */
static void decode_member(member *m, const buf *body)
{
    cp_err e = {{0}};
    m->prof = profile_parse_proto(body->data, body->len, &e);
    if (!m->prof) {
        snprintf(m->skip, sizeof m->skip, "undecodable profile: %.150s", e.msg);
        return;
    }
    label_samples(m->prof, m->pid, m->program);
}

/* The comments of the merged profile: which processes are in, which are
 * skipped and why. */
static void add_comments(merge_state *st)
{
    cp_profile *p = st->merged;
    size_t n_skipped = 0, n_in = 0;
    for (size_t i = 0; i < st->n; i++)
        st->m[i].prof ? n_in++ : n_skipped++;
    const char **c = arena_alloc(&p->mem, p->n_comments + 1 + n_skipped, sizeof *c);
    memcpy(c, p->comments, p->n_comments * sizeof *c);
    size_t k = p->n_comments;
    c[k++] = intern_cstr(arena_printf(&p->mem,
                                      "cprof pid=all: %zu of %zu processes merged, each sample "
                                      "labelled pid and program (-tagfocus=pid=N splits it)",
                                      n_in, st->n));
    for (size_t i = 0; i < st->n; i++)
        if (!st->m[i].prof)
            c[k++] = intern_cstr(arena_printf(&p->mem, "cprof pid=all: skipped pid %ld (%s): %s",
                                              st->m[i].pid, st->m[i].program, st->m[i].skip));
    p->comments = c;
    p->n_comments = k;
}

/* Decode, label, merge and encode into resp->body. 0, or an HTTP status
 * with the reason in err. Every allocation of the kit is in here, under
 * the out-of-memory jump of the caller. */
static int merge_into(merge_state *st, http_response *resp, size_t max, char *err, size_t err_len)
{
    profile_set_size_limit(max);
    cp_profile **ps = calloc(st->n, sizeof *ps);
    if (!ps) {
        snprintf(err, err_len, "out of memory");
        return 503;
    }
    size_t k = 0;
    for (size_t i = 0; i < st->n; i++) {
        if (!st->m[i].skip[0])
            decode_member(&st->m[i], &st->m[i].raw);
        buf_free(&st->m[i].raw);
        if (st->m[i].prof)
            ps[k++] = st->m[i].prof;
    }
    cp_err e = {{0}};
    st->merged = k ? profile_merge(ps, k, &e) : NULL;
    if (!st->merged) {
        snprintf(err, err_len, "cannot merge the processes' profiles: %.200s",
                 k ? e.msg : "none could be read");
        return k ? 500 : 502;
    }
    /* The processes ran side by side over one window: the merged duration
     * is that window, not the sum profile.Merge makes of them. */
    int64_t window = 0;
    for (size_t i = 0; i < k; i++)
        if (ps[i]->duration_nanos > window)
            window = ps[i]->duration_nanos;
    st->merged->duration_nanos = window;
    free(ps);
    add_comments(st);
    buf_reset(&resp->body);
    int rc = profile_encode(st->merged, 1, &resp->body, &e);
    if (rc != 0 || resp->body.oom || resp->body.len > max) {
        snprintf(err, err_len, "cannot encode the merged profile: %.200s",
                 rc != 0          ? e.msg
                 : resp->body.oom ? "out of memory"
                                  : "over the cap");
        return 503;
    }
    return 0;
}

/* Send the request to every descendant of the tree; members listed in st
 * (this process first). -1 when out of memory. */
static int ask_descendants(merge_state *st, const char *path, const char *query)
{
    size_t n;
    proc_tree_entry *t = proc_tree_list(&n);
    if (!t)
        return -1;
    st->m = calloc(n ? n : 1, sizeof *st->m);
    if (!st->m) {
        free(t);
        return -1;
    }
    st->n = n;
    for (size_t i = 0; i < n; i++) {
        member *m = &st->m[i];
        m->pid = t[i].pid;
        m->fd = -1;
        buf_init(&m->raw);
        snprintf(m->program, sizeof m->program, "%s", t[i].program[0] ? t[i].program : t[i].comm);
        if (i == 0)
            continue; /* this process: served by self */
        if (i > MERGE_MAX_PROCS) {
            snprintf(m->skip, sizeof m->skip, "more than %d processes", MERGE_MAX_PROCS);
            continue;
        }
        int status;
        m->fd = http_forward_send(m->pid, path, query, &status, m->skip, sizeof m->skip);
        if (m->fd < 0 && !m->skip[0])
            snprintf(m->skip, sizeof m->skip, "not reachable");
    }
    free(t);
    return 0;
}

/* Every reply whose HTTP status is not 200 becomes a skip reason. */
static void check_replies(merge_state *st)
{
    for (size_t i = 1; i < st->n; i++) {
        member *m = &st->m[i];
        if (m->skip[0])
            continue;
        http_response r;
        http_response_init(&r);
        size_t got = m->raw.len;
        if (http_forward_parse(&m->raw, &r) != 0) {
            snprintf(m->skip, sizeof m->skip, "not an HTTP reply (%zu bytes)", got);
        } else if (r.status != 200) {
            size_t len = strcspn((const char *)r.body.data ? (const char *)r.body.data : "", "\n");
            snprintf(m->skip, sizeof m->skip, "HTTP %d: %.*s", r.status,
                     (int)(len < 150 ? len : 150), r.body.data ? (const char *)r.body.data : "");
        } else {
            buf tmp = m->raw; /* keep only the body */
            m->raw = r.body;
            r.body = tmp;
        }
        http_response_free(&r);
    }
}

static void free_state(merge_state *st)
{
    for (size_t i = 0; i < st->n; i++) {
        if (st->m[i].fd >= 0)
            own_fd_close(st->m[i].fd);
        buf_free(&st->m[i].raw);
        cp_profile_free(st->m[i].prof);
    }
    free(st->m);
    cp_profile_free(st->merged);
    intern_reset();
}

void http_merge_all(const char *path, const http_request *sub, int window_s,
                    void (*self)(const http_request *sub, http_response *resp, void *ctx),
                    void *self_ctx, http_response *resp)
{
    if (atomic_flag_test_and_set(&merge_busy)) {
        http_response_error(resp, 503, "another pid=all request is being served: try again");
        return;
    }
    arena_set_oom_handler(merge_oom);
    size_t max = atomic_load(&merge_max_bytes);
    merge_state *st = calloc(1, sizeof *st);
    if (!st || ask_descendants(st, path, sub->query) != 0) {
        free(st);
        atomic_flag_clear(&merge_busy);
        http_response_error(resp, 503, "out of memory listing the processes");
        return;
    }
    int64_t deadline = monotonic_ns() + (int64_t)(window_s + MERGE_GRACE_S) * 1000000000LL;
    /* This process's own part, while the descendants collect theirs. */
    self(sub, resp, self_ctx);
    char err[300] = "";
    int status = 0;
    if (resp->status != 200) {
        status = -1; /* self's error is the answer (a bad query is bad for all) */
    } else {
        st->m[0].raw = resp->body; /* this process's profile, to decode with the rest */
        buf_init(&resp->body);
        int rc = collect(st, sub, deadline, max, err, sizeof err);
        if (rc == 1) {
            status = 500;
            snprintf(err, sizeof err, "the client went away");
        } else if (rc < 0) {
            status = 503;
        }
    }
    if (status == 0) {
        check_replies(st);
        sigjmp_buf jump;
        if (sigsetjmp(jump, 0) == 0) {
            oom_jump = &jump;
            status = merge_into(st, resp, max, err, sizeof err);
        } else {
            status = 503;
            snprintf(err, sizeof err, "out of memory while merging the processes' profiles");
        }
        oom_jump = NULL;
    }
    free_state(st);
    free(st);
    atomic_flag_clear(&merge_busy);
    if (status > 0)
        http_response_error(resp, status, err);
}
