/*
 * proc_stat.c — see proc_stat.h. Fields after comm are numbered from 3
 * (state) as in proc(5): 4 ppid, 14 utime, 15 stime, 20 num_threads,
 * 22 starttime, 23 vsize, 24 rss.
 */
#include "proc_stat.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* p past n space-separated fields (and the spaces after them); NULL when
 * the text ends first. */
static const char *skip_fields(const char *p, int n)
{
    for (int i = 0; i < n && p; i++) {
        while (*p == ' ')
            p++;
        while (*p && *p != ' ')
            p++;
        if (!*p)
            return NULL;
    }
    while (p && *p == ' ')
        p++;
    return p;
}

int proc_stat_parse(const char *text, proc_stat *out)
{
    const char *open = strchr(text, '(');
    const char *close = strrchr(text, ')');
    if (!open || !close || close < open || close[1] != ' ')
        return -1;
    size_t len = (size_t)(close - open - 1);
    if (len >= sizeof out->comm)
        len = sizeof out->comm - 1;
    memcpy(out->comm, open + 1, len);
    out->comm[len] = 0;
    const char *p = close + 2;
    if (!*p || !isalpha((unsigned char)*p))
        return -1;
    out->state = *p;
    const char *f4 = skip_fields(p, 1);
    if (!f4 || sscanf(f4, "%ld", &out->ppid) != 1)
        return -1;
    unsigned long long utime, stime, start;
    const char *f14 = skip_fields(f4, 10);
    if (!f14 || sscanf(f14, "%llu %llu", &utime, &stime) != 2)
        return -1;
    const char *f20 = skip_fields(f14, 6);
    if (!f20 || sscanf(f20, "%ld %*d %llu", &out->num_threads, &start) != 2)
        return -1;
    unsigned long long vsize = 0;
    long long rss = 0;
    const char *f23 = skip_fields(f20, 3);
    if (f23 && sscanf(f23, "%llu %lld", &vsize, &rss) != 2)
        vsize = 0, rss = 0;
    out->vsize_bytes = vsize;
    out->rss_pages = rss;
    out->utime_ticks = utime;
    out->stime_ticks = stime;
    out->start_ticks = start;
    return 0;
}

int proc_stat_read(long pid, proc_stat *out)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = 0;
    return proc_stat_parse(text, out);
}
