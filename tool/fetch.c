/*
 * fetch.c — see fetch.h.
 *
 * HTTP follows go tool pprof's fetcher: -seconds becomes the "seconds"
 * query parameter, the timeout defaults to 1.5x the duration (or 60 s) and
 * the transfer may take 5 s more; any status but 200 is an error, and when
 * the reply comes from a Go-style pprof endpoint (X-Go-Pprof header,
 * text/plain) its body is the message, exactly like pprof's "server
 * response: 404 Not Found - Unknown profile". Errors are kept to one line:
 * control characters and newlines in a server's message become spaces and
 * long bodies are cut; credentials in a URL are printed as REDACTED.
 * Redirects are followed by hand (at most 10): --token and -H headers go
 * only to the scheme, host and port of the URL given, never where a
 * redirect elsewhere points (curl drops only its own Authorization). Each
 * reply is capped at profile_size_limit() (-max_size).
 * Saving: every fetched profile is written as received (gzip-compressed if
 * it was not), named cprof.<program>.<sample types>.<time>.pb.gz; a name
 * already taken gets a counter, created with O_EXCL so nothing is
 * overwritten.
 */
#include "fetch.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gzip.h"
#include "procs.h"
#include "report/graph.h"

#define MAX_ERROR_BODY 300
#define MAX_REDIRECTS 10

/* ---- sources ------------------------------------------------------------ */

static int looks_like_host_port(const char *s)
{
    const char *colon = strchr(s, ':');
    if (!colon || colon == s)
        return 0;
    for (const char *p = s; p < colon; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
            return 0;
    const char *p = colon + 1;
    if (!isdigit((unsigned char)*p))
        return 0;
    while (isdigit((unsigned char)*p))
        p++;
    return *p == '/' || *p == 0;
}

char *source_url(const char *source)
{
    if (!strncmp(source, "http://", 7) || !strncmp(source, "https://", 8))
        return xstrdup(source);
    char *unix_url = procs_source_url(source);
    if (unix_url)
        return unix_url;
    struct stat st;
    if (stat(source, &st) != 0 && looks_like_host_port(source)) {
        char *url = xmalloc(strlen(source) + 8);
        sprintf(url, "http://%s", source);
        return url;
    }
    return NULL;
}

/* The whole file at path appended to out (the caller frees it): 0, or -1
 * with err (cannot open or read, larger than -max_size). */
int read_file(const char *path, buf *out, cp_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cp_err_set(err, "%s", strerror(errno));
        return -1;
    }
    struct stat st;
    /* One allocation for a regular file of sane size (no doubling copies),
     * read straight into it (no stdio copy). */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uint64_t)st.st_size <= profile_size_limit()) {
        size_t was = out->cap;
        buf_reserve(out, (size_t)st.st_size + 1);
        if (out->cap != was)
            memory_hint_huge(out->data, out->cap);
    }
    for (;;) {
        if ((out->cap == 0 || out->len + 1 >= out->cap) && buf_reserve(out, 1 << 16) != 0)
            out->oom = 1;
        if (out->oom || out->len > profile_size_limit()) {
            char limit[32];
            size_words(profile_size_limit(), limit, sizeof limit);
            cp_err_set(err, "file larger than %s (-max_size)", limit);
            close(fd);
            return -1;
        }
        ssize_t n = read(fd, out->data + out->len, out->cap - 1 - out->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            cp_err_set(err, "read error: %s", strerror(errno));
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
    }
    close(fd);
    return 0;
}

/* ---- HTTP --------------------------------------------------------------- */

/* A query parameter whose value is a credential (name case-insensitive):
 * token, access_token, id_token..., secrets, passwords, API keys. */
static int secret_param(const char *name, size_t len)
{
    static const char *const parts[] = {"token",  "secret",  "password", "passwd",
                                        "apikey", "api_key", "api-key"};
    static const char *const whole[] = {"key", "auth", "sig", "signature", "code"};
    char low[64];
    if (len >= sizeof low)
        len = sizeof low - 1;
    for (size_t i = 0; i < len; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    low[len] = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        if (strstr(low, parts[i]))
            return 1;
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++)
        if (!strcmp(low, whole[i]))
            return 1;
    return 0;
}

char *url_redacted(const char *url)
{
    buf b;
    buf_init(&b);
    const char *p = url, *scheme = strstr(url, "://");
    if (scheme) {
        const char *host = scheme + 3;
        size_t auth_len = strcspn(host, "/?#");
        const char *at = memchr(host, '@', auth_len);
        const char *colon = at ? memchr(host, ':', (size_t)(at - host)) : NULL;
        if (colon) { /* user:password@ -> user:REDACTED@ */
            buf_append(&b, url, (size_t)(colon + 1 - url));
            buf_append(&b, "REDACTED", 8);
            p = at;
        }
    }
    const char *q = strchr(p, '?');
    size_t head = q ? (size_t)(q - p) + 1 : strlen(p);
    buf_append(&b, p, head);
    p += head;
    while (q && *p && *p != '#') {
        size_t len = strcspn(p, "&#"), name = strcspn(p, "=&#");
        if (name < len && secret_param(p, name)) {
            buf_append(&b, p, name + 1);
            buf_append(&b, "REDACTED", 8);
        } else {
            buf_append(&b, p, len);
        }
        p += len;
        if (*p == '&')
            buf_append(&b, p++, 1);
    }
    buf_append(&b, p, strlen(p) + 1); /* the fragment, and the NUL */
    if (b.oom)
        die_oom();
    return (char *)b.data;
}

int fetch_add_header(fetch_opts *o, const char *header, cp_err *err)
{
    if (!strchr(header, ':')) {
        cp_err_set(err, "header \"%s\" is not of the form 'Name: value'", header);
        return -1;
    }
    o->headers = xrealloc(o->headers, o->n_headers + 1, sizeof(char *));
    o->headers[o->n_headers++] = header;
    return 0;
}

typedef struct reply {
    buf *body;
    int too_big;
    char status_text[128]; /* reason phrase of the last status line */
    int go_pprof;          /* X-Go-Pprof present */
    int text_plain;
} reply;

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    reply *r = ud;
    if (r->body->len + size * n > profile_size_limit()) {
        r->too_big = 1;
        return 0;
    }
    buf_append(r->body, data, size * n);
    return r->body->oom ? 0 : size * n;
}

static int header_is(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len > n && line[n] == ':' && !strncasecmp(line, name, n);
}

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
    reply *r = ud;
    size_t len = size * n;
    if (len >= 5 && !strncmp(line, "HTTP/", 5)) {
        /* A new status line (after a redirect): forget the previous reply. */
        r->go_pprof = r->text_plain = 0;
        r->status_text[0] = 0;
        const char *sp = memchr(line, ' ', len);
        if (sp && (size_t)(sp - line) + 4 < len) {
            const char *reason = sp + 4;
            size_t rl = len - (size_t)(reason - line);
            while (rl && (reason[rl - 1] == '\r' || reason[rl - 1] == '\n'))
                rl--;
            while (rl && *reason == ' ')
                reason++, rl--;
            snprintf(r->status_text, sizeof r->status_text, "%.*s", (int)rl, reason);
        }
        r->body->len = 0;
    } else if (header_is(line, len, "X-Go-Pprof")) {
        r->go_pprof = 1;
    } else if (header_is(line, len, "Content-Type")) {
        r->text_plain = memmem(line, len, "text/plain", 10) != NULL;
    }
    return len;
}

static const char *reason_phrase(long code)
{
    switch (code) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    }
    return "";
}

/* adjustURL: -seconds replaces the URL's seconds parameter. */
static char *with_seconds(const char *url, int seconds, int *duration)
{
    *duration = 0;
    const char *q = strstr(url, "?seconds=");
    if (!q)
        q = strstr(url, "&seconds=");
    if (seconds <= 0) {
        if (q)
            *duration = atoi(q + 9);
        return xstrdup(url);
    }
    *duration = seconds;
    size_t keep = q ? (size_t)(q - url) : strlen(url);
    const char *rest = q ? strchr(q + 1, '&') : NULL;
    char *out = NULL;
    int has_query = memchr(url, '?', keep) != NULL;
    if (asprintf(&out, "%.*s%cseconds=%d%s", (int)keep, url, has_query ? '&' : '?', seconds,
                 rest ? rest : "") < 0)
        die_oom();
    return out;
}

/* The message of a failed reply: one line, bounded. */
static void status_error(const reply *r, long code, cp_err *err)
{
    const char *reason = *r->status_text ? r->status_text : reason_phrase(code);
    if (!(r->go_pprof && r->text_plain) || r->body->len == 0) {
        cp_err_set(err, "server response: %ld %s", code, reason);
        return;
    }
    char msg[MAX_ERROR_BODY + 4];
    size_t n = 0;
    for (size_t i = 0; i < r->body->len && n < MAX_ERROR_BODY; i++) {
        unsigned char ch = r->body->data[i];
        msg[n++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
    }
    while (n && msg[n - 1] == ' ')
        n--;
    msg[n] = 0;
    if (r->body->len > MAX_ERROR_BODY)
        strcat(msg, "...");
    cp_err_set(err, "server response: %ld %s - %s", code, reason, msg);
}

/* The scheme, host and port of url ("http://h:80"), lowercase, in out;
 * 0, or -1 when url does not parse. */
static int url_origin(const char *url, char *out, size_t cap)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    int rc = -1;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        snprintf(out, cap, "%s://%s:%s", scheme, host, port);
        for (char *c = out; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        rc = 0;
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

static struct curl_slist *request_headers(const fetch_opts *o)
{
    struct curl_slist *h = NULL;
    if (o->token && *o->token) {
        char *auth = NULL;
        if (asprintf(&auth, "Authorization: Bearer %s", o->token) < 0)
            die_oom();
        h = curl_slist_append(h, auth);
        free(auth);
    }
    for (size_t i = 0; i < o->n_headers; i++)
        h = curl_slist_append(h, o->headers[i]);
    return h;
}

int fetch_url(const char *url_in, const fetch_opts *o, buf *out, char **final_url, cp_err *err)
{
    static int curl_ready;
    if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        cp_err_set(err, "http fetch: libcurl initialization failed");
        return -1;
    }
    curl_ready = 1;
    int duration;
    char *url = with_seconds(url_in, o->seconds, &duration);
    long timeout = o->timeout > 0 ? o->timeout : duration > 0 ? duration + duration / 2 : 60;
    if (!o->quiet) {
        char *shown = url_redacted(url);
        fprintf(stderr, "Fetching profile over HTTP from %s\n", shown);
        free(shown);
    }
    if (duration > 0 && !o->quiet)
        fprintf(stderr, "Please wait... (%ds)\n", duration);
    CURL *c = curl_easy_init();
    if (!c) {
        free(url);
        cp_err_set(err, "http fetch: libcurl initialization failed");
        return -1;
    }
    reply r = {.body = out};
    char curl_err[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = request_headers(o);
    /* pid:N and unix: sources: the same request over the process's socket. */
    char *http_url = NULL;
    char *sock = procs_unix_url_split(url, &http_url);
    curl_easy_setopt(c, CURLOPT_URL, http_url ? http_url : url);
    if (sock)
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* followed below */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout + 5);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "cprof/0.1");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    if (o->post) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, o->post->len ? (const char *)o->post->data : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->post->len);
    }
    char origin[512] = "", here[512];
    url_origin(http_url ? http_url : url, origin, sizeof origin);
    CURLcode rc;
    struct stat st;
    long code = 0;
    for (int hops = 0;; hops++) {
        rc = sock && stat(sock, &st) != 0 ? CURLE_COULDNT_CONNECT : curl_easy_perform(c);
        code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        char *next = NULL;
        if (rc != CURLE_OK || code < 300 || code > 399 ||
            curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &next) != CURLE_OK || !next)
            break;
        if (hops == MAX_REDIRECTS) {
            rc = CURLE_TOO_MANY_REDIRECTS;
            snprintf(curl_err, sizeof curl_err, "more than %d redirects", MAX_REDIRECTS);
            break;
        }
        /* The user's headers and token stay with the origin they were given for. */
        if (url_origin(next, here, sizeof here) != 0 || strcmp(here, origin) != 0)
            curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
        curl_easy_setopt(c, CURLOPT_URL, next); /* libcurl copies it */
    }
    int result = -1;
    if (rc == CURLE_OPERATION_TIMEDOUT)
        cp_err_set(err, "http fetch: timed out after %ld seconds", timeout + 5);
    else if (rc == CURLE_COULDNT_CONNECT && sock)
        cp_err_set(err, "http fetch: no profiled process has the socket %s (cprof ps lists them)",
                   sock);
    else if (rc == CURLE_COULDNT_CONNECT)
        cp_err_set(err, "http fetch: connection refused (%s)", curl_err);
    else if (r.too_big || out->oom) {
        char limit[32];
        size_words(profile_size_limit(), limit, sizeof limit);
        cp_err_set(err, "http fetch: reply larger than %s (-max_size)", limit);
    } else if (rc != CURLE_OK)
        cp_err_set(err, "http fetch: %s", *curl_err ? curl_err : curl_easy_strerror(rc));
    else if (o->post ? code < 200 || code > 299 : code != 200)
        status_error(&r, code, err);
    else
        result = 0;
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    free(sock);
    free(http_url);
    if (result == 0 && final_url)
        *final_url = url;
    else
        free(url);
    return result;
}

/* ---- saving ------------------------------------------------------------- */

int make_dir(const char *dir)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0755);
            *p = '/';
        }
    return mkdir(tmp, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

const char *profile_save_dir(char *out, size_t cap)
{
    const char *home = getenv("CPROF_HOME");
    if (home && *home) {
        snprintf(out, cap, "%s", home);
        if (make_dir(out) == 0)
            return out;
        fprintf(stderr, "Could not use directory %s: %s\n", out, strerror(errno));
    }
    home = getenv("HOME");
    if (home && *home) {
        snprintf(out, cap, "%s/cprof", home);
        if (make_dir(out) == 0)
            return out;
        fprintf(stderr, "Could not use directory %s: %s\n", out, strerror(errno));
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(out, cap, "%s", tmp && *tmp ? tmp : "/tmp");
    return out;
}

/* cprof.<program>.<type>.<type>...<YYYYMMDD-HHMMSS> */
static void save_prefix(const cp_profile *p, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "cprof.");
    if (p->n_mappings > 0 && *p->mappings[0]->file)
        n += (size_t)snprintf(out + n, cap - n, "%s.", path_base(p->mappings[0]->file));
    for (size_t i = 0; i < p->n_sample_types && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s.", p->sample_types[i].type);
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    if (n < cap)
        strftime(out + n, cap - n, "%Y%m%d-%H%M%S", &tm);
    for (char *c = out; *c; c++)
        if (*c == '/' || (unsigned char)*c < 0x20)
            *c = '_';
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int save_bytes_in(const char *dir, const char *prefix, const char *ext, const buf *bytes,
                  char *path, size_t path_len, cp_err *err)
{
    int fd = -1;
    for (int i = 0; i < 1000 && fd < 0; i++) {
        if (i == 0)
            snprintf(path, path_len, "%s/%s%s", dir, prefix, ext);
        else
            snprintf(path, path_len, "%s/%s.%03d%s", dir, prefix, i, ext);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        cp_err_set(err, "could not save profile in %s: %s", dir, strerror(errno));
        return -1;
    }
    int failed = write_all(fd, bytes->data, bytes->len) != 0;
    failed |= close(fd) != 0; /* close even after a failed write */
    if (failed) {
        cp_err_set(err, "could not save profile %s: %s", path, strerror(errno));
        unlink(path);
        return -1;
    }
    return 0;
}

int save_fetched_in(const buf *data, const cp_profile *p, const char *dir, char *path,
                    size_t path_len, cp_err *err)
{
    buf gz;
    buf_init(&gz);
    const buf *bytes = data;
    if (!gzip_is_gzip(data->data, data->len)) {
        if (gzip_compress(&gz, data->data, data->len, GZIP_LEVEL_DEFAULT) != 0) {
            cp_err_set(err, "could not save profile: compression failed");
            buf_free(&gz);
            return -1;
        }
        bytes = &gz;
    }
    char prefix[512];
    save_prefix(p, prefix, sizeof prefix);
    int rc = save_bytes_in(dir, prefix, ".pb.gz", bytes, path, path_len, err);
    buf_free(&gz);
    return rc;
}

int save_fetched(const buf *data, const cp_profile *p, cp_err *err)
{
    char dir[4096], path[4800];
    profile_save_dir(dir, sizeof dir);
    if (save_fetched_in(data, p, dir, path, sizeof path, err) != 0)
        return -1;
    fprintf(stderr, "Saved profile in %s\n", path);
    return 0;
}
