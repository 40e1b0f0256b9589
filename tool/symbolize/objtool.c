/*
 * objtool.c — nm and objdump for the disassembly reports (objtool.h),
 * google/pprof's internal/binutils (binutils.go, disasm.go).
 *
 * Design notes:
 *   - The tools and parsing of google/pprof's binutils: `nm -n -S FILE` and
 *     `objdump --disassemble --demangle --no-show-raw-insn --line-numbers
 *     --start-address=S --stop-address=E FILE`, each output line trimmed
 *     and objdump's matched against pprof's regular expressions (compiled
 *     here as POSIX extended ones that match the same lines). One change:
 *     a symbol with a size (-S) ends at start + size - 1, as in go tool
 *     pprof's own object reader (cmd/pprof), not at the next symbol - 1, so
 *     the alignment padding after a function is not listed as its code and
 *     `cprof -disasm` lists the instructions `go tool pprof -disasm` lists.
 *   - Untrusted input: the file name comes from a profile's mapping (after
 *     the symbolizer's search), so it is never seen by a shell: the tool is
 *     started with posix_spawnp and an argv whose file follows "--" (a
 *     name starting with '-' stays a file). Output is read through a pipe
 *     with a cap and a deadline; past either the child is killed and the
 *     call fails with one line. The child gets /dev/null as stdin.
 *   - pprof matches demangled C++ names too (NoParams/NoTemplateParams
 *     variants); here names are matched as nm prints them.
 */
#include "objtool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "buf.h"
#include "clock.h"

extern char **environ;

/* ---- running a tool ---------------------------------------------------- */

/* Reads what is ready on fd into b (at most cap bytes kept in total);
 * false at end of file. *over when more than cap arrived. */
static bool drain(int fd, buf *b, size_t cap, bool *over)
{
    char chunk[65536];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n == 0)
        return false;
    if (b->len + (size_t)n > cap) {
        *over = true;
        return false;
    }
    buf_append(b, chunk, (size_t)n);
    return true;
}

/* Runs argv (argv[0] looked up on PATH) with stdin /dev/null; its stdout
 * into out (at most OBJTOOL_MAX_OUTPUT bytes). 0 when it exited 0, else -1
 * with err: "cannot disasm: no objdump tool available" style for a missing
 * tool (what is its message prefix), the tool's first stderr line otherwise. */
static int run_tool(char *const argv[], const char *what, buf *out, cp_err *err)
{
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0) {
        cp_err_set(err, "%s: pipe: %s", what, strerror(errno));
        return -1;
    }
    if (pipe2(pe, O_CLOEXEC) != 0) {
        cp_err_set(err, "%s: pipe: %s", what, strerror(errno));
        close(po[0]), close(po[1]);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, po[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&fa, pe[1], STDERR_FILENO);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(po[1]);
    close(pe[1]);
    if (rc != 0) {
        close(po[0]), close(pe[0]);
        if (rc == ENOENT)
            cp_err_set(err, "%s: no %s tool available (install binutils)", what, argv[0]);
        else
            cp_err_set(err, "%s: starting %s: %s", what, argv[0], strerror(rc));
        return -1;
    }
    buf errs;
    buf_init(&errs);
    bool open_out = true, open_err = true, over = false, err_over = false, late = false;
    int64_t deadline = monotonic_ns() + (int64_t)OBJTOOL_TIMEOUT_S * 1000000000;
    while ((open_out || open_err) && !over) {
        struct pollfd fds[2] = {{.fd = open_out ? po[0] : -1, .events = POLLIN},
                                {.fd = open_err ? pe[0] : -1, .events = POLLIN}};
        int64_t left = (deadline - monotonic_ns()) / 1000000;
        if (left <= 0) {
            late = true;
            break;
        }
        if (poll(fds, 2, left > 1000 ? 1000 : (int)left) < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            open_out = drain(po[0], out, OBJTOOL_MAX_OUTPUT, &over);
        if (fds[1].revents)
            open_err = drain(pe[0], &errs, 4096, &err_over);
    }
    close(po[0]);
    close(pe[0]);
    if (over || late)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    rc = 0;
    if (over) {
        cp_err_set(err, "%s: %s wrote more than %u MiB", what, argv[0], OBJTOOL_MAX_OUTPUT >> 20);
        rc = -1;
    } else if (late) {
        cp_err_set(err, "%s: %s took more than %d s", what, argv[0], OBJTOOL_TIMEOUT_S);
        rc = -1;
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        size_t n = strcspn(errs.data ? (const char *)errs.data : "", "\n");
        if (n > errs.len)
            n = errs.len;
        cp_err_set(err, "%s: %s failed: %.*s", what, argv[0], (int)n,
                   errs.data ? (const char *)errs.data : "");
        rc = -1;
    }
    buf_free(&errs);
    return rc;
}

/* ---- parsing ----------------------------------------------------------- */

/* One line at a time, trimmed (strings.TrimSpace). Returns false at the
 * end; *line is NUL-terminated in the caller's scratch (grown as needed). */
static bool next_line(const char *text, size_t len, size_t *at, char **scratch, size_t *cap)
{
    if (*at >= len)
        return false;
    const char *s = text + *at, *nl = memchr(s, '\n', len - *at);
    size_t n = nl ? (size_t)(nl - s) : len - *at;
    *at += n + (nl ? 1 : 0);
    while (n && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\v' || *s == '\f'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\v' ||
                 s[n - 1] == '\f'))
        n--;
    if (n + 1 > *cap) {
        *cap = n + 1;
        *scratch = xrealloc(*scratch, *cap, 1);
    }
    memcpy(*scratch, s, n);
    (*scratch)[n] = 0;
    return true;
}

/* The text of a regexp group, NUL-terminated (caller frees). */
static char *group(const char *s, const regmatch_t *m)
{
    char *out = xcalloc((size_t)(m->rm_eo - m->rm_so) + 1, 1);
    memcpy(out, s + m->rm_so, (size_t)(m->rm_eo - m->rm_so));
    return out;
}

/* A hex number of the whole group (strconv.ParseUint(s, 16, 64)). */
static bool parse_hex(const char *s, const regmatch_t *m, uint64_t *v)
{
    size_t n = (size_t)(m->rm_eo - m->rm_so);
    if (n == 0 || n > 16)
        return false;
    *v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[m->rm_so + (regoff_t)i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
        *v = *v << 4 | (uint64_t)d;
    }
    return true;
}

/* pprof's regular expressions (disasm.go), in POSIX extended syntax. */
static const char *const disasm_patterns[] = {
    "^[[:space:]]*([[:xdigit:]]+):[[:space:]]+(.*)", /* objdumpAsmOutputRE */
    "^;?[[:space:]]?(.*):([0-9]+)",                  /* objdumpOutputFileLine */
    "^;?[[:space:]]?([^[:space:]].*)\\(\\):",        /* objdumpOutputFunction */
    "^([[:xdigit:]]+)?[[:space:]]?(.*):",            /* objdumpOutputFunctionLLVM */
};

/* disassemble() of disasm.go: objdump's lines into instructions (objtool.h).
 * Always 0; *out is the caller's (objtool_insts_free). */
int objtool_parse_disasm(const char *text, size_t len, obj_inst **out, size_t *n)
{
    regex_t re[4];
    for (size_t i = 0; i < 4; i++)
        if (regcomp(&re[i], disasm_patterns[i], REG_EXTENDED) != 0)
            abort(); /* constant patterns */
    char *function = xstrdup(""), *file = xstrdup(""), *line = NULL;
    int lineno = 0;
    size_t at = 0, cap = 0, room = 0;
    *out = NULL;
    *n = 0;
    while (next_line(text, len, &at, &line, &cap)) {
        regmatch_t m[3];
        uint64_t addr;
        if (regexec(&re[0], line, 3, m, 0) == 0 && parse_hex(line, &m[1], &addr)) {
            if (*n == room) {
                room = room ? room * 2 : 256;
                *out = xrealloc(*out, room, sizeof **out);
            }
            (*out)[(*n)++] = (obj_inst){.addr = addr,
                                        .text = group(line, &m[2]),
                                        .function = xstrdup(function),
                                        .file = xstrdup(file),
                                        .line = lineno};
            continue;
        }
        if (regexec(&re[1], line, 3, m, 0) == 0) {
            char *digits = group(line, &m[2]);
            char *end;
            errno = 0;
            unsigned long l = strtoul(digits, &end, 10);
            if (!errno && !*end && l <= 0xffffffffUL) {
                free(file);
                file = group(line, &m[1]);
                lineno = (int)l;
            }
            free(digits);
            continue;
        }
        int fn = regexec(&re[2], line, 2, m, 0) == 0   ? 1
                 : regexec(&re[3], line, 3, m, 0) == 0 ? 2
                                                       : 0;
        if (fn) {
            free(function);
            function = group(line, &m[fn]);
            continue;
        }
        /* Reset on unrecognized lines. */
        free(function);
        free(file);
        function = xstrdup("");
        file = xstrdup("");
        lineno = 0;
    }
    free(line);
    free(function);
    free(file);
    for (size_t i = 0; i < 4; i++)
        regfree(&re[i]);
    return 0;
}

/* Frees the instructions and their strings (NULL, 0 is fine). */
void objtool_insts_free(obj_inst *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].text);
        free(v[i].function);
        free(v[i].file);
    }
    free(v);
}

/* Binutils.Disasm: objdump over [start, end] of file, parsed (objtool.h). */
int objtool_disasm(const char *file, uint64_t start, uint64_t end, obj_inst **out, size_t *n,
                   cp_err *err)
{
    char from[40], to[40];
    snprintf(from, sizeof from, "--start-address=%#llx", (unsigned long long)start);
    snprintf(to, sizeof to, "--stop-address=%#llx", (unsigned long long)end);
    char *argv[] = {
        "objdump", "--disassemble", "--demangle", "--no-show-raw-insn", "--line-numbers", from, to,
        "--",      (char *)file,    NULL};
    buf b;
    buf_init(&b);
    int rc = run_tool(argv, "cannot disasm", &b, err);
    if (rc == 0)
        rc = objtool_parse_disasm((const char *)b.data, b.len, out, n);
    buf_free(&b);
    return rc;
}

/* matchSymbol: the names to report for the group at [start, end], or 0. */
static size_t match_symbol(char **names, size_t n, uint64_t start, uint64_t end, const regex_t *re,
                           uint64_t address, size_t *which)
{
    if (address != 0 && address >= start && address <= end) {
        *which = (size_t)-1;
        return n;
    }
    for (size_t i = 0; i < n; i++)
        if (!re || regexec(re, names[i], 0, NULL, 0) == 0) {
            *which = i;
            return 1;
        }
    return 0;
}

/* The group of names at [start, end] appended to *out (grown) when it
 * matches (match_symbol); names stay the caller's (copied). */
static void add_group(obj_sym **out, size_t *n, size_t *room, char **names, size_t count,
                      uint64_t start, uint64_t end, const regex_t *re, uint64_t address)
{
    size_t which;
    size_t k = count ? match_symbol(names, count, start, end, re, address, &which) : 0;
    if (!k)
        return;
    if (*n == *room) {
        *room = *room ? *room * 2 : 16;
        *out = xrealloc(*out, *room, sizeof **out);
    }
    obj_sym *s = &(*out)[(*n)++];
    s->names = xcalloc(k, sizeof *s->names);
    s->n_names = k;
    for (size_t i = 0; i < k; i++)
        s->names[i] = xstrdup(names[which == (size_t)-1 ? i : which]);
    s->start = start;
    s->end = end;
}

/* One line of `nm -n -S`: "ADDR [SIZE] TYPE NAME" (trimmed); false for
 * lines without an address (undefined symbols). *size is 0 when absent. */
static bool nm_line(char *line, uint64_t *addr, uint64_t *size, const char **name)
{
    char *fields[3];
    size_t n = 0;
    char *s = line;
    while (n < 3 && *s) {
        fields[n++] = s;
        s += strcspn(s, " \t");
        if (*s)
            *s++ = 0;
        s += strspn(s, " \t");
    }
    regmatch_t m = {.rm_so = 0};
    if (n < 3)
        return false;
    m.rm_eo = (regoff_t)strlen(fields[0]);
    if (!parse_hex(fields[0], &m, addr) ||
        strspn(fields[0], "0123456789abcdefABCDEF") != strlen(fields[0]))
        return false;
    m.rm_eo = (regoff_t)strlen(fields[1]);
    *size = 0;
    if (strlen(fields[2]) == 1 && *s &&
        strspn(fields[1], "0123456789abcdefABCDEF") == strlen(fields[1]) &&
        parse_hex(fields[1], &m, size)) {
        *name = s; /* ADDR SIZE TYPE NAME */
        return true;
    }
    if (strlen(fields[1]) != 1)
        return false;
    /* ADDR TYPE NAME: the name is the third field and what follows */
    if (*s)
        s[-1] = ' ';
    *name = fields[2];
    return true;
}

/* findSymbols of disasm.go over `nm -n -S` text (objtool.h). Always 0;
 * *out is the caller's (objtool_syms_free). */
int objtool_parse_symbols(const char *text, size_t len, const char *file, const regex_t *re,
                          uint64_t address, obj_sym **out, size_t *n)
{
    (void)file;
    *out = NULL;
    *n = 0;
    size_t room = 0, at = 0, cap = 0, count = 0, names_room = 8;
    char *line = NULL, **names = xcalloc(names_room, sizeof *names);
    uint64_t start = 0, size = 0;
    while (next_line(text, len, &at, &line, &cap)) {
        uint64_t addr, sz;
        const char *name;
        if (!nm_line(line, &addr, &sz, &name))
            continue;
        if (addr != start || count == 0) {
            if (count)
                add_group(out, n, &room, names, count, start, size ? start + size - 1 : addr - 1,
                          re, address);
            for (size_t i = 0; i < count; i++)
                free(names[i]);
            count = 0;
            start = addr;
            size = 0;
        }
        if (count == names_room) {
            names_room *= 2;
            names = xrealloc(names, names_room, sizeof *names);
        }
        names[count++] = xstrdup(name);
        if (sz > size)
            size = sz;
    }
    /* At the end pprof's group ends at 0 - 1. */
    if (count)
        add_group(out, n, &room, names, count, start, size ? start + size - 1 : UINT64_MAX, re,
                  address);
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
    free(line);
    return 0;
}

/* Frees the symbols and their names (NULL, 0 is fine). */
void objtool_syms_free(obj_sym *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < v[i].n_names; j++)
            free(v[i].names[j]);
        free(v[i].names);
    }
    free(v);
}

/* file.Symbols: nm -n -S on file, parsed (objtool.h). */
int objtool_symbols(const char *file, const regex_t *re, uint64_t address, obj_sym **out, size_t *n,
                    cp_err *err)
{
    char *argv[] = {"nm", "-n", "-S", "--", (char *)file, NULL};
    buf b;
    buf_init(&b);
    int rc = run_tool(argv, "reading symbols", &b, err);
    if (rc == 0)
        rc = objtool_parse_symbols((const char *)b.data, b.len, file, re, address, out, n);
    buf_free(&b);
    return rc;
}
