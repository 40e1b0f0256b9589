/*
 * unwind_remote.c — unwind another thread of this process from saved
 * registers and a copy of its stack, without disturbing it (the thread
 * dump's path for threads blocked in a call that a signal would cut short,
 * lib/threads/threads_blocking.c).
 *
 * libdw's frame API (dwfl_attach_state with our own thread callbacks, the
 * way a core file is unwound): the initial registers are the saved set
 * (rip, rsp, rbp at the call site of the blocking function), stack reads
 * come from the copy, and every other read is served in place when it
 * falls in a readable PT_LOAD segment of a loaded object (unwind tables,
 * code), else with process_vm_readv on our own pid, which fails cleanly
 * (EFAULT) where a direct load would fault. libdw keeps each module's CFI
 * (.eh_frame) once parsed, so a step is a lookup and the frame's CFI
 * program, with no system call and no lock.
 *
 * Measured against libunwind's remote API over the same copy (1,000
 * threads in sleep(), bench/threads_dump -w sleep, this 2 vCPU VM where a
 * system call costs 2-3 us): libunwind takes a lock behind two sigprocmask
 * calls at each step for its register-state cache, and again in its
 * mempool and around dl_iterate_phdr on each cache miss: 65-82 ms a dump
 * with its global cache, 180 ms without. See BENCHMARKS.md for libdw.
 *
 * The module list is reported again (and the frame state attached again)
 * when dl_iterate_phdr's adds/subs counters say an object came or went, or
 * after a fork (unwind_remote_begin, once per dump). Ordinary context only;
 * one caller at a time (the dump lock).
 */
#include "unwind.h"

#include <elfutils/libdwfl.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

typedef struct remote_walk {
    const unwind_regs *regs;
    const unsigned char *copy;
    uint64_t copy_base, copy_len;
    uint64_t *pcs;
    size_t max, n;
} remote_walk;

/* The readable PT_LOAD segments of the loaded objects, sorted. */
typedef struct segment {
    uint64_t start, end;
} segment;
#define MAX_SEGMENTS 4096
#define WALK_TID 1 /* the one thread our callbacks know; its number is ours to choose */

static Dwfl *dwfl;
static int inited;
static unsigned long long seen_adds = ~0ull, seen_subs = ~0ull;
static pid_t self_pid;
static segment segments[MAX_SEGMENTS];
static size_t n_segments;
static remote_walk *current; /* the walk in progress */

/* ---- memory ------------------------------------------------------------------ */

static int in_segment(uint64_t addr)
{
    size_t lo = 0, hi = n_segments;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (addr < segments[mid].start)
            hi = mid;
        else if (addr >= segments[mid].end)
            lo = mid + 1;
        else
            return addr + 8 <= segments[mid].end;
    }
    return 0;
}

static bool memory_read(Dwfl *d, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
    (void)d;
    (void)arg;
    remote_walk *w = current;
    if (w && addr >= w->copy_base && addr - w->copy_base + sizeof *result <= w->copy_len) {
        memcpy(result, w->copy + (addr - w->copy_base), sizeof *result);
        return true;
    }
    if (in_segment(addr)) {
        memcpy(result, (const void *)(uintptr_t)addr, sizeof *result);
        return true;
    }
    struct iovec local = {result, sizeof *result};
    struct iovec remote = {(void *)(uintptr_t)addr, sizeof *result};
    return process_vm_readv(self_pid, &local, 1, &remote, 1, 0) == (ssize_t)sizeof *result;
}

/* ---- the one thread ------------------------------------------------------------ */

static pid_t next_thread(Dwfl *d, void *arg, void **thread_arg)
{
    (void)d;
    (void)arg;
    if (*thread_arg)
        return 0;
    *thread_arg = (void *)1;
    return WALK_TID;
}

static bool get_thread(Dwfl *d, pid_t tid, void *arg, void **thread_arg)
{
    (void)d;
    (void)arg;
    *thread_arg = (void *)1;
    return tid == WALK_TID;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
    (void)thread_arg;
    if (!current)
        return false;
    /* DWARF x86-64 numbering: 6 rbp, 7 rsp. */
    Dwarf_Word regs[2] = {current->regs->fp, current->regs->sp};
    if (!dwfl_thread_state_registers(thread, 6, 2, regs))
        return false;
    dwfl_thread_state_register_pc(thread, current->regs->pc);
    return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
    .next_thread = next_thread,
    .get_thread = get_thread,
    .memory_read = memory_read,
    .set_initial_registers = set_initial_registers,
};

static const Dwfl_Callbacks dwfl_callbacks = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
};

/* ---- the module list ------------------------------------------------------------- */

static int phdr_counters(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    unsigned long long *out = arg;
    out[0] = info->dlpi_adds;
    out[1] = info->dlpi_subs;
    return 1;
}

static int phdr_segments(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    (void)arg;
    for (int i = 0; i < info->dlpi_phnum && n_segments < MAX_SEGMENTS; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_R)) {
            uint64_t start = info->dlpi_addr + ph->p_vaddr;
            segments[n_segments++] = (segment){start, start + ph->p_filesz};
        }
    }
    return 0;
}

static int compare_segments(const void *a, const void *b)
{
    uint64_t x = ((const segment *)a)->start, y = ((const segment *)b)->start;
    return (x > y) - (x < y);
}

/* A fresh Dwfl with this process's modules and our thread callbacks. */
static void report_modules(void)
{
    if (dwfl)
        dwfl_end(dwfl);
    dwfl = dwfl_begin(&dwfl_callbacks);
    if (!dwfl)
        return;
    dwfl_report_begin(dwfl);
    int rc = dwfl_linux_proc_report(dwfl, self_pid);
    if (dwfl_report_end(dwfl, NULL, NULL) != 0 || rc != 0 ||
        !dwfl_attach_state(dwfl, NULL, self_pid, &thread_callbacks, NULL)) {
        dwfl_end(dwfl);
        dwfl = NULL;
    }
}

int unwind_remote_init(void)
{
    inited = 1;
    unwind_remote_begin();
    return dwfl ? 0 : -1;
}

void unwind_remote_begin(void)
{
    if (!inited)
        return;
    unsigned long long counters[2] = {0, 0};
    dl_iterate_phdr(phdr_counters, counters);
    pid_t pid = getpid();
    if (dwfl && counters[0] == seen_adds && counters[1] == seen_subs && pid == self_pid)
        return;
    seen_adds = counters[0];
    seen_subs = counters[1];
    self_pid = pid;
    n_segments = 0;
    dl_iterate_phdr(phdr_segments, NULL);
    qsort(segments, n_segments, sizeof *segments, compare_segments);
    report_modules();
}

/* ---- the walk ------------------------------------------------------------------- */

static int on_frame(Dwfl_Frame *frame, void *arg)
{
    remote_walk *w = arg;
    Dwarf_Addr pc;
    bool activation;
    if (!dwfl_frame_pc(frame, &pc, &activation) || pc == 0)
        return DWARF_CB_ABORT;
    if (w->n == 0)
        pc = w->regs->pc; /* the saved return address itself */
    w->pcs[w->n++] = pc;
    return w->n < w->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

size_t unwind_remote(const unwind_regs *regs, const void *copy, uint64_t copy_base, size_t copy_len,
                     uint64_t *pcs, size_t max)
{
    if (max == 0)
        return 0;
    remote_walk w = {regs, copy, copy_base, copy_len, pcs, max, 0};
    if (dwfl) {
        current = &w;
        dwfl_getthread_frames(dwfl, WALK_TID, on_frame, &w);
        current = NULL;
    }
    if (w.n == 0)
        pcs[w.n++] = regs->pc;
    return w.n;
}
