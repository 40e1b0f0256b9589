/*
 * procs.c — see procs.h.
 */
#include "procs.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "rundir.h"

#define UNIX_SCHEME "http+unix://"

/* Every DIR/NAME/SUB under base whose NAME starts with name_prefix. */
static void add_matching(strlist *dirs, const char *base, const char *name_prefix, const char *sub,
                         const char *skip)
{
    DIR *d = opendir(base);
    if (!d)
        return;
    struct dirent *e;
    size_t np = strlen(name_prefix);
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, name_prefix, np) != 0 || e->d_name[np] == '.' || !e->d_name[np])
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s%s", base, e->d_name, sub);
        struct stat st;
        if (strcmp(path, skip) != 0 && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            strlist_push(dirs, path);
    }
    closedir(d);
}

void procs_dirs(strlist *dirs)
{
    char own[4096];
    if (rundir_path(own, sizeof own) == 0)
        strlist_push(dirs, own);
    else
        own[0] = '\0';
    if (geteuid() != 0)
        return;
    add_matching(dirs, "/run/user", "", "/cprof", own);
    add_matching(dirs, "/tmp", "cprof-", "", own);
}

char *procs_socket_of(long pid)
{
    strlist dirs = {0};
    procs_dirs(&dirs);
    char *found = NULL;
    for (size_t i = 0; i < dirs.n && !found; i++) {
        char path[4096];
        struct stat st;
        if (rundir_socket_path(dirs.v[i], pid, path, sizeof path) == 0 && lstat(path, &st) == 0 &&
            S_ISSOCK(st.st_mode))
            found = xstrdup(path);
    }
    strlist_free(&dirs);
    return found;
}

/* UNIX_SCHEME + socket (percent-encoded) + the /debug/pprof path of rest. */
static char *unix_url(const char *sock, size_t sock_len, const char *rest)
{
    size_t cap = strlen(UNIX_SCHEME) + 3 * sock_len + strlen(rest) + 32;
    char *url = xmalloc(cap), *w = url;
    w += sprintf(w, "%s", UNIX_SCHEME);
    for (size_t i = 0; i < sock_len; i++) {
        unsigned char c = (unsigned char)sock[i];
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
            *w++ = (char)c;
        else
            w += sprintf(w, "%%%02X", c);
    }
    if (*rest == '/' && strncmp(rest, "/debug/", 7) != 0)
        w += sprintf(w, "/debug/pprof");
    sprintf(w, "%s", rest);
    return url;
}

char *procs_source_url(const char *source)
{
    if (!strncmp(source, "pid:", 4)) {
        const char *p = source + 4;
        if (!isdigit((unsigned char)*p))
            return NULL;
        char *end;
        long pid = strtol(p, &end, 10);
        if (*end && *end != '/' && *end != '?')
            return NULL;
        char *sock = procs_socket_of(pid);
        char dir[4096], own[4096];
        if (!sock && rundir_path(dir, sizeof dir) == 0 &&
            rundir_socket_path(dir, pid, own, sizeof own) == 0)
            sock = xstrdup(own);
        if (!sock)
            return NULL;
        char *url = unix_url(sock, strlen(sock), *end == '?' ? "/" : end);
        free(sock);
        return url;
    }
    if (!strncmp(source, "unix:", 5)) {
        const char *sock = source + 5;
        const char *s = sock;
        while ((s = strstr(s, ".sock")) != NULL) {
            s += 5;
            if (!*s || *s == '/' || *s == '?')
                return unix_url(sock, (size_t)(s - sock), *s == '?' ? "/" : s);
        }
    }
    return NULL;
}

char *procs_unix_url_split(const char *url, char **http_url)
{
    size_t ns = strlen(UNIX_SCHEME);
    if (strncmp(url, UNIX_SCHEME, ns) != 0)
        return NULL;
    const char *host = url + ns;
    size_t host_len = strcspn(host, "/?");
    char *sock = xmalloc(host_len + 1), *w = sock;
    for (size_t i = 0; i < host_len; i++) {
        unsigned hex;
        if (host[i] == '%' && i + 2 < host_len + 1 && sscanf(host + i + 1, "%2x", &hex) == 1) {
            *w++ = (char)hex;
            i += 2;
        } else {
            *w++ = host[i];
        }
    }
    *w = '\0';
    const char *rest = host + host_len;
    if (asprintf(http_url, "http://localhost%s%s", *rest == '/' ? "" : "/", rest) < 0)
        die_oom();
    return sock;
}
