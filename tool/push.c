/*
 * push.c — cprof push: send profiles to Grafana Pyroscope, for backfill and
 * for hosts nothing scrapes.
 *
 * Each SOURCE (a file, or a URL fetched as everywhere else: fetch.c) is
 * decoded once, to read its time and duration and to refuse what is not a
 * profile, then POSTed as it is (gzipped if it was not) to Pyroscope's
 * documented ingest endpoint:
 *
 *   POST URL/ingest?name=APP{k=v,...}&from=UNIX_S&until=UNIX_S&format=pprof
 *   Content-Type: application/octet-stream     body: gzipped profile.proto
 *   Authorization: Bearer TOKEN                (-push_token, optional)
 *   X-Scope-OrgID: TENANT                      (-tenant, optional)
 *
 * from is the profile's time (now when it has none), until its end: from
 * plus the duration rounded to seconds, at least one second later. Pyroscope takes the sample
 * types from the profile itself. The application name and label keys
 * follow Pyroscope's rules ([a-zA-Z0-9_.-] names; no ',', '{', '}' or '='
 * inside a value); anything else is refused here with the reason rather
 * than by the server. The request itself is common/pyroscope.c's, the one
 * the library's push agent (lib/push/) sends too.
 */
#include "push.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fetch.h"
#include "flags.h"
#include "gzip.h"
#include "profile/model.h"
#include "profile/strlist.h"
#include "pyroscope.h"

enum push_flag { P_HELP, P_TO, P_NAME, P_LABELS, P_PUSH_TOKEN, P_TENANT, P_TOKEN, P_SECONDS };

static const flag_spec push_specs[] = {
    {"h", FLAG_BOOL, P_HELP},          {"help", FLAG_BOOL, P_HELP},
    {"to", FLAG_STRING, P_TO},         {"name", FLAG_STRING, P_NAME},
    {"labels", FLAG_STRING, P_LABELS}, {"push_token", FLAG_STRING, P_PUSH_TOKEN},
    {"tenant", FLAG_STRING, P_TENANT}, {"token", FLAG_STRING, P_TOKEN},
    {"seconds", FLAG_INT, P_SECONDS},
};

typedef struct push_args {
    bool help;
    const char *to, *name, *labels, *push_token, *tenant;
    fetch_opts fetch; /* for URL sources */
    strlist sources;
} push_args;

/* The -help text into f. */
static void usage(FILE *f)
{
    fprintf(f, "usage: cprof push [options] SOURCE... -to URL\n"
               "Sends each profile (a file, or a URL fetched like every cprof source) to\n"
               "Grafana Pyroscope's ingest API: POST URL/ingest?name=APP{labels}&from=&until=\n"
               "&format=pprof, the gzipped profile.proto as the body.\n"
               "  -to URL            Pyroscope's base URL (http://pyroscope:4040)\n"
               "  -name APP          the application name (default cprof)\n"
               "  -labels k=v,...    labels of the series\n"
               "  -push_token T      Authorization: Bearer T on the push\n"
               "  -tenant ID         X-Scope-OrgID: ID (multi-tenant Pyroscope)\n"
               "  -token T, -seconds N   as for any source URL\n");
}

/* flag_table.set. 0, or -1 with err. */
static int set_option(void *ctx, const flag_spec *s, const flag_value *v, cp_err *err)
{
    push_args *a = ctx;
    (void)err;
    switch ((enum push_flag)s->id) {
    case P_HELP:
        a->help = v->on;
        break;
    case P_TO:
        a->to = v->str;
        break;
    case P_NAME:
        a->name = v->str;
        break;
    case P_LABELS:
        a->labels = v->str;
        break;
    case P_PUSH_TOKEN:
        a->push_token = v->str;
        break;
    case P_TENANT:
        a->tenant = v->str;
        break;
    case P_TOKEN:
        a->fetch.token = v->str;
        break;
    case P_SECONDS:
        a->fetch.seconds = (int)v->num;
        break;
    }
    return 0;
}

/* flag_table.arg: every other argument is a source. */
static int add_source(void *ctx, int argc, char **argv, int *i, bool after_dashes, cp_err *err)
{
    (void)argc, (void)after_dashes, (void)err;
    strlist_push(&((push_args *)ctx)->sources, argv[*i]);
    return 0;
}

static const flag_table push_flags = {
    .prefix = "push: ",
    .hint = "cprof push -help",
    .specs = push_specs,
    .n_specs = sizeof push_specs / sizeof push_specs[0],
    .set = set_option,
    .arg = add_source,
};

/* Load one source: its bytes in raw, decoded into *p. 0, or -1 with err. */
static int load(const char *source, const fetch_opts *fo, buf *raw, cp_profile **p, cp_err *err)
{
    char *url = source_url(source);
    int rc = url ? fetch_url(url, fo, raw, NULL, err) : read_file(source, raw, err);
    free(url);
    if (rc != 0)
        return -1;
    *p = profile_parse(raw->data, raw->len, err);
    return *p ? 0 : -1;
}

/* Push one source. 0, or -1 with err. */
static int push_one(const push_args *a, const char *source, cp_err *err)
{
    buf raw, body, url;
    buf_init(&raw);
    buf_init(&body);
    buf_init(&url);
    cp_profile *p = NULL;
    int rc = -1;
    if (load(source, &a->fetch, &raw, &p, err) != 0)
        goto out;
    long long from = p->time_nanos > 0 ? p->time_nanos / 1000000000 : (long long)time(NULL);
    long long secs = (p->duration_nanos + 500000000) / 1000000000; /* rounded */
    long long until = from + (secs > 1 ? secs : 1);
    char msg[300];
    if (pyroscope_ingest_url(a->to, a->name ? a->name : "cprof", a->labels, from, until, &url, msg,
                             sizeof msg) != 0) {
        cp_err_set(err, "push: %s", msg);
        goto out;
    }
    if (gzip_is_gzip(raw.data, raw.len))
        buf_append(&body, raw.data, raw.len);
    else
        gzip_compress(&body, raw.data, raw.len, 6);
    char auth[600] = "", tenant[300] = "";
    const char *headers[3] = {"Content-Type: application/octet-stream"};
    fetch_opts po = {.headers = headers,
                     .n_headers = 1,
                     .seconds = -1,
                     .timeout = 30,
                     .quiet = true,
                     .post = &body};
    if (a->push_token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", a->push_token);
        headers[po.n_headers++] = auth;
    }
    if (a->tenant) {
        snprintf(tenant, sizeof tenant, "X-Scope-OrgID: %s", a->tenant);
        headers[po.n_headers++] = tenant;
    }
    buf reply;
    buf_init(&reply);
    buf_append_byte(&url, 0);
    rc = body.oom || url.oom ? -1 : fetch_url((const char *)url.data, &po, &reply, NULL, err);
    if (body.oom || url.oom)
        cp_err_set(err, "push: out of memory");
    buf_free(&reply);
    if (rc == 0)
        fprintf(stderr, "Pushed %s (%zu bytes, %lld..%lld)\n", source, body.len, from, until);
out:
    if (p)
        cp_profile_free(p);
    buf_free(&raw);
    buf_free(&body);
    buf_free(&url);
    return rc;
}

/* The command: parse, push every source; see push.h for the status. */
int push_main(int argc, char **argv)
{
    push_args a = {.fetch = {.seconds = -1, .timeout = -1, .quiet = true}};
    cp_err err;
    int rc = 0;
    if (flags_parse(&push_flags, argc, argv, &a, &err) != 0) {
        fprintf(stderr, "cprof: %s\n", err.msg);
        rc = 2;
    } else if (a.help) {
        usage(stdout);
    } else if (!a.to || !*a.to || a.sources.n == 0) {
        fprintf(stderr, "cprof: push: %s (cprof push -help)\n",
                !a.to || !*a.to ? "no -to URL" : "no profile to push");
        rc = 2;
    } else {
        for (size_t i = 0; i < a.sources.n; i++) {
            if (push_one(&a, a.sources.v[i], &err) != 0) {
                fprintf(stderr, "cprof: push %s: %s\n", a.sources.v[i], err.msg);
                rc = 1;
            }
        }
    }
    strlist_free(&a.sources);
    return rc;
}
