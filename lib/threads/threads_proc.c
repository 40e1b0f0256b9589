/*
 * threads_proc.c — what /proc/self/task says about each thread, and the
 * rules that name the system call a blocked thread sits in.
 *
 * Parsers take text and are pure (unit-tested on canned /proc contents);
 * readers do one open/read/close per file into stack buffers. Kernels
 * differ in what they expose (/proc/<pid>/task/<tid>/syscall needs
 * CONFIG_HAVE_ARCH_TRACEHOOK; reference §5 describes a kernel without it),
 * so every file is optional except stat, and a missing one leaves its field
 * "unknown" rather than failing a dump.
 *
 * Naming the system call, best source first (threads_profile.c applies
 * the order):
 *   1. /proc/.../syscall, when the kernel has it: the number itself;
 *   2. the dump handler's view (threads_capture.c): a thread interrupted
 *      inside a restartable call is rewound onto its `syscall` instruction
 *      with the number back in rax;
 *   3. the leaf frame's libc function (read, epoll_wait, futex helpers);
 *   4. the kernel wait channel (do_epoll_wait, futex_do_wait, ...).
 * Names come from the build's <sys/syscall.h>, so the table matches the
 * architecture it was compiled for.
 */
#include "threads.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/proc_stat.h"

/* ---- pure parsers -------------------------------------------------------- */

int threads_parse_stat(const char *text, thread_proc_info *out)
{
    proc_stat st;
    if (proc_stat_parse(text, &st) != 0)
        return -1;
    size_t len = strnlen(st.comm, sizeof out->name - 1);
    memcpy(out->name, st.comm, len);
    out->name[len] = 0;
    out->state = st.state;
    out->utime_ticks = st.utime_ticks;
    out->stime_ticks = st.stime_ticks;
    out->start_ticks = st.start_ticks;
    out->num_threads = st.num_threads;
    out->vsize_bytes = st.vsize_bytes;
    out->rss_pages = st.rss_pages;
    return 0;
}

long threads_parse_syscall(const char *text)
{
    /* "running", "-1 <sp> <pc>" (blocked, not in a syscall), or
     * "<nr> <args...> <sp> <pc>". */
    if (!text || !isdigit((unsigned char)text[0]))
        return -1;
    char *end;
    long nr = strtol(text, &end, 10);
    if (end == text || (*end != ' ' && *end != '\n' && *end != 0))
        return -1;
    return nr;
}

int threads_parse_syscall_pc(const char *text, uint64_t *pc)
{
    /* "<nr|-1> [args...] <sp> <pc>"; "running" has neither. */
    if (!text || !(isdigit((unsigned char)text[0]) || text[0] == '-'))
        return -1;
    const char *end = text + strlen(text);
    while (end > text && isspace((unsigned char)end[-1]))
        end--;
    const char *last = end;
    while (last > text && last[-1] != ' ')
        last--;
    if (last == text || strncmp(last, "0x", 2) != 0)
        return -1;
    char *stop;
    unsigned long long v = strtoull(last, &stop, 16);
    if (stop != end || v == 0)
        return -1;
    *pc = v;
    return 0;
}

int threads_status_has_signal(const char *status, const char *field, int sig)
{
    size_t flen = strlen(field);
    for (const char *line = status; line && *line;) {
        if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
            unsigned long long mask = strtoull(line + flen + 1, NULL, 16);
            return sig >= 1 && sig <= 64 ? (int)((mask >> (sig - 1)) & 1) : 0;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return -1;
}

const char *threads_state_name(char state)
{
    switch (state) {
    case 'R':
        return "running";
    case 'S':
        return "sleeping";
    case 'D':
        return "disk wait";
    case 'Z':
        return "zombie";
    case 'T':
        return "stopped";
    case 't':
        return "tracing stop";
    case 'X':
    case 'x':
        return "dead";
    case 'I':
        return "idle";
    case 'P':
        return "parked";
    case 'W':
        return "waking";
    default:
        return "unknown";
    }
}

void threads_clean_wchan(char *wchan)
{
    /* Compiler clones: ".constprop.0", ".isra.0", ".part.0", ".cold". */
    char *dot = strchr(wchan, '.');
    if (dot)
        *dot = 0;
    size_t n = strlen(wchan);
    while (n > 0 && isspace((unsigned char)wchan[n - 1]))
        wchan[--n] = 0;
    if (strcmp(wchan, "0") == 0)
        wchan[0] = 0;
}

/* ---- system call names --------------------------------------------------- */

typedef struct syscall_name {
    long nr;
    const char *name;
} syscall_name;

#define SC(x)                                                                                      \
    {                                                                                              \
        SYS_##x, #x                                                                                \
    }
/* The calls a thread is commonly found blocked in, plus their neighbours. */
static const syscall_name syscall_table[] = {
    SC(read),
    SC(write),
    SC(open),
    SC(close),
    SC(poll),
    SC(ioctl),
    SC(pread64),
    SC(pwrite64),
    SC(readv),
    SC(writev),
    SC(select),
    SC(sched_yield),
    SC(msync),
    SC(pause),
    SC(nanosleep),
    SC(sendfile),
    SC(connect),
    SC(accept),
    SC(sendto),
    SC(recvfrom),
    SC(sendmsg),
    SC(recvmsg),
    SC(wait4),
    SC(semop),
    SC(msgsnd),
    SC(msgrcv),
    SC(fcntl),
    SC(flock),
    SC(fsync),
    SC(fdatasync),
    SC(rt_sigtimedwait),
    SC(rt_sigsuspend),
    SC(futex),
    SC(io_getevents),
    SC(restart_syscall),
    SC(semtimedop),
    SC(clock_nanosleep),
    SC(epoll_wait),
    SC(mq_timedsend),
    SC(mq_timedreceive),
    SC(waitid),
    SC(openat),
    SC(pselect6),
    SC(ppoll),
    SC(splice),
    SC(tee),
    SC(epoll_pwait),
    SC(accept4),
    SC(recvmmsg),
    SC(sendmmsg),
    SC(getrandom),
    SC(copy_file_range),
    SC(preadv2),
    SC(pwritev2),
    SC(io_uring_enter),
    SC(epoll_pwait2),
    SC(futex_waitv),
    SC(clone),
    SC(clone3),
    SC(execve),
    SC(exit),
    SC(exit_group),
    SC(mmap),
    SC(munmap),
    SC(mprotect),
    SC(brk),
    SC(madvise),
    SC(getdents64),
};
#undef SC
#define N_SYSCALLS (sizeof syscall_table / sizeof syscall_table[0])

const char *threads_syscall_name(long nr)
{
    for (size_t i = 0; i < N_SYSCALLS; i++) {
        if (syscall_table[i].nr == nr)
            return syscall_table[i].name;
    }
    return NULL;
}

static const char *syscall_by_name(const char *name, size_t len)
{
    for (size_t i = 0; i < N_SYSCALLS; i++) {
        const char *s = syscall_table[i].name;
        if (strlen(s) == len && strncmp(s, name, len) == 0)
            return s;
    }
    return NULL;
}

typedef struct name_map {
    const char *from;
    const char *to;
} name_map;

/* Kernel wait channels (after threads_clean_wchan) that pin down the call.
 * Generic ones (wait_woken, schedule_timeout) are left out on purpose. */
static const name_map wchan_map[] = {
    {"do_epoll_wait", "epoll_wait"},
    {"ep_poll", "epoll_wait"},
    {"futex_do_wait", "futex"},
    {"futex_wait_queue", "futex"},
    {"futex_wait_queue_me", "futex"},
    {"futex_wait", "futex"},
    {"do_sys_poll", "poll"},
    {"poll_schedule_timeout", "poll"}, /* also select's: the leaf frame tells them apart */
    {"do_select", "select"},
    {"core_sys_select", "select"},
    {"hrtimer_nanosleep", "nanosleep"},
    {"do_nanosleep", "nanosleep"},
    {"common_nsleep", "clock_nanosleep"},
    {"pipe_read", "read"},
    {"anon_pipe_read", "read"},
    {"pipe_write", "write"},
    {"anon_pipe_write", "write"},
    {"unix_stream_read_generic", "read"},
    {"unix_stream_data_wait", "read"},
    {"n_tty_read", "read"},
    {"inet_csk_accept", "accept"},
    {"do_wait", "wait4"},
    {"kernel_wait4", "wait4"},
    {"do_sigtimedwait", "rt_sigtimedwait"},
    {"sigsuspend", "rt_sigsuspend"},
    {"do_msgrcv", "msgrcv"},
    {"read_events", "io_getevents"},
    {"io_cqring_wait", "io_uring_enter"},
};

/* libc function names that are not spelled like their system call. */
static const name_map function_aliases[] = {
    {"recv", "recvfrom"},
    {"send", "sendto"},
    {"waitpid", "wait4"},
    {"wait", "wait4"},
    {"sigwait", "rt_sigtimedwait"},
    {"sigwaitinfo", "rt_sigtimedwait"},
    {"sigtimedwait", "rt_sigtimedwait"},
    {"sigsuspend", "rt_sigsuspend"},
    {"pread", "pread64"},
    {"pwrite", "pwrite64"},
    {"usleep", "nanosleep"},
    {"sleep", "nanosleep"},
};

static const char *map_lookup(const name_map *m, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (strlen(m[i].from) == len && strncmp(m[i].from, name, len) == 0)
            return m[i].to;
    }
    return NULL;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

const char *threads_syscall_from_wchan(const char *wchan)
{
    if (!wchan || !*wchan)
        return NULL;
    const char *mapped =
        map_lookup(wchan_map, sizeof wchan_map / sizeof *wchan_map, wchan, strlen(wchan));
    if (mapped)
        return mapped;
    /* The call's own entry point: __do_sys_pause, __x64_sys_read, ksys_read. */
    static const char *const entry_prefixes[] = {"__do_sys_", "__x64_sys_", "__se_sys_", "ksys_"};
    for (size_t i = 0; i < sizeof entry_prefixes / sizeof *entry_prefixes; i++) {
        if (starts_with(wchan, entry_prefixes[i])) {
            const char *rest = wchan + strlen(entry_prefixes[i]);
            return syscall_by_name(rest, strlen(rest));
        }
    }
    return NULL;
}

/* "__GI___libc_read" -> "read": drop the decorations glibc puts on its
 * internal and cancellable aliases. */
static const char *strip_libc_decorations(const char *s)
{
    for (;;) {
        const char *before = s;
        while (*s == '_')
            s++;
        if (starts_with(s, "GI_"))
            s += 3;
        if (starts_with(s, "libc_"))
            s += 5;
        if (s == before)
            return s;
    }
}

const char *threads_syscall_from_function(const char *function)
{
    if (!function)
        return NULL;
    const char *s = strip_libc_decorations(function);
    size_t len = strlen(s);
    if (len > 9 && strcmp(s + len - 9, "_nocancel") == 0)
        len -= 9;
    const char *name = syscall_by_name(s, len);
    if (!name)
        name = map_lookup(function_aliases, sizeof function_aliases / sizeof *function_aliases, s,
                          len);
    if (!name && len > 2 && s[len - 2] == '6' && s[len - 1] == '4')
        name = syscall_by_name(s, len - 2); /* fcntl64, open64 */
    if (!name &&
        (starts_with(s, "futex") || starts_with(s, "lll_lock") || starts_with(s, "lll_wait")))
        name = "futex";
    return name;
}

/* ---- readers ------------------------------------------------------------- */

static int compare_tids(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return x < y ? -1 : x > y;
}

pid_t *threads_list(size_t *n)
{
    *n = 0;
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return NULL;
    size_t cap = 64, count = 0;
    pid_t *tids = malloc(cap * sizeof *tids);
    struct dirent *e;
    while (tids && (e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        if (count == cap) {
            pid_t *grown = realloc(tids, 2 * cap * sizeof *tids);
            if (!grown) {
                free(tids);
                tids = NULL;
                break;
            }
            tids = grown;
            cap *= 2;
        }
        tids[count++] = (pid_t)atoi(e->d_name);
    }
    closedir(d);
    if (!tids)
        return NULL;
    qsort(tids, count, sizeof *tids, compare_tids);
    *n = count;
    return tids;
}

/* Read a small /proc file into out (NUL-terminated). Bytes read, or -1. */
static ssize_t read_small(const char *path, char *out, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got + 1 < len) {
        ssize_t r = read(fd, out + got, len - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    out[got] = 0;
    return (ssize_t)got;
}

static ssize_t read_task_file(pid_t tid, const char *file, char *out, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/%s", (int)tid, file);
    return read_small(path, out, len);
}

int threads_read_proc(pid_t tid, thread_proc_info *out)
{
    memset(out, 0, sizeof *out);
    out->syscall_nr = -1;
    char text[1024];
    if (read_task_file(tid, "stat", text, sizeof text) <= 0 || threads_parse_stat(text, out) != 0)
        return -1;
    return 0;
}

/* Reads /proc/self/stat into *out (zeroed first). 0, or -1 when it cannot
 * be read or parsed; nothing allocated. */
int threads_read_process(thread_proc_info *out)
{
    memset(out, 0, sizeof *out);
    out->syscall_nr = -1;
    char text[1024];
    if (read_small("/proc/self/stat", text, sizeof text) <= 0 || threads_parse_stat(text, out) != 0)
        return -1;
    return 0;
}

int threads_read_syscall(pid_t tid, long *nr, uint64_t *pc)
{
    char text[512];
    if (read_task_file(tid, "syscall", text, sizeof text) <= 0)
        return -1;
    if (nr)
        *nr = threads_parse_syscall(text);
    if (pc && threads_parse_syscall_pc(text, pc) != 0)
        *pc = 0;
    return 0;
}

int threads_parse_syscall_full(const char *text, thread_syscall *out)
{
    /* "<nr> <6 args> <sp> <pc>" in a call, "-1 <sp> <pc>" blocked outside
     * one, "running". Numbers after the first are 0x-prefixed hex. */
    memset(out, 0, sizeof *out);
    out->nr = threads_parse_syscall(text);
    if (out->nr < 0)
        return text && (text[0] == '-' || strncmp(text, "running", 7) == 0) ? 0 : -1;
    const char *p = strchr(text, ' ');
    for (int i = 0; i < 6 && p; i++) {
        char *end;
        out->args[i] = strtoull(p + 1, &end, 16);
        if (end == p + 1)
            return -1;
        p = *end == ' ' ? end : NULL;
    }
    return p ? 0 : -1;
}

int threads_read_syscall_full(pid_t tid, thread_syscall *out)
{
    char text[512];
    if (read_task_file(tid, "syscall", text, sizeof text) <= 0)
        return -1;
    int rc = threads_parse_syscall_full(text, out);
    if (rc == 0 && threads_parse_syscall_pc(text, &out->pc) != 0)
        out->pc = 0;
    return rc;
}

int threads_read_wchan(pid_t tid, char *out, size_t len)
{
    if (read_task_file(tid, "wchan", out, len) <= 0) {
        out[0] = 0;
        return -1;
    }
    threads_clean_wchan(out);
    return 0;
}

int threads_read_status(pid_t tid, char *out, size_t len)
{
    return read_task_file(tid, "status", out, len) > 0 ? 0 : -1;
}

int64_t threads_cpu_ns(pid_t tid)
{
    /* The kernel's per-thread CPU clock id (what pthread_getcpuclockid
     * builds): ~tid << 3 | CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED. */
    return clock_nanos((clockid_t)((~(unsigned)tid << 3) | 6u));
}

long threads_count(void)
{
    char text[4096];
    if (read_small("/proc/self/status", text, sizeof text) <= 0)
        return -1;
    const char *line = strstr(text, "\nThreads:");
    return line ? strtol(line + 9, NULL, 10) : -1;
}
