/*
 * unwind_remote.c — unwind another thread of this process from saved
 * registers and a copy of its stack, without disturbing it (the thread
 * dump's path for threads blocked in a call that a signal would cut short,
 * lib/threads/threads_blocking.c).
 *
 * libunwind's remote API, in-process: an address space whose accessors
 * serve the registers from the saved set (rip, rsp, rbp: the call site of
 * the blocking function), stack reads from the copy, and every other read
 * (unwind tables, a stack word beyond the copy) with process_vm_readv on
 * our own pid, which fails cleanly (EFAULT) where a direct load would
 * fault. Unwind tables are found with libunwind's own local find_proc_info
 * (dl_iterate_phdr; ordinary context: the dumping thread, never a signal
 * handler). Register-state caching is global to the address space (all
 * walks run under the dump lock) and flushed when a library was loaded or
 * unloaded since the last walk (the dl_iterate_phdr adds/subs counters).
 *
 * Cost (bench/threads_dump, 1,000 threads each in sleep() under 6 frames,
 * this 2 vCPU VM): see lib/threads/threads_blocking.c's header.
 */
#include "unwind.h"

#include <libunwind.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

typedef struct remote_arg {
    const unwind_regs *regs;
    const unsigned char *copy;
    uint64_t copy_base, copy_len;
    pid_t pid;
} remote_arg;

static unw_addr_space_t remote_as;
static unw_accessors_t *local_acc;
static unsigned long long seen_adds = ~0ull, seen_subs = ~0ull;

/* Read 8 bytes of this process at addr without faulting. 0 or -1. */
static int read_word(pid_t pid, uint64_t addr, uint64_t *out)
{
    struct iovec local = {out, sizeof *out};
    struct iovec remote = {(void *)(uintptr_t)addr, sizeof *out};
    return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)sizeof *out ? 0 : -1;
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *argp)
{
    (void)as;
    remote_arg *a = argp;
    if (write)
        return -UNW_EINVAL;
    if (addr >= a->copy_base && addr - a->copy_base + sizeof *val <= a->copy_len) {
        memcpy(val, a->copy + (addr - a->copy_base), sizeof *val);
        return 0;
    }
    uint64_t v;
    if (read_word(a->pid, addr, &v) != 0)
        return -UNW_EINVAL;
    *val = v;
    return 0;
}

static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *argp)
{
    (void)as;
    remote_arg *a = argp;
    if (write)
        return -UNW_EINVAL;
    switch (reg) {
    case UNW_REG_IP:
        *val = a->regs->pc;
        return 0;
    case UNW_REG_SP:
        *val = a->regs->sp;
        return 0;
    case UNW_X86_64_RBP:
        *val = a->regs->fp;
        return 0;
    default:
        *val = 0; /* not saved: a frame whose CFA needs it ends the walk */
        return 0;
    }
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write,
                        void *arg)
{
    (void)as;
    (void)reg;
    (void)val;
    (void)write;
    (void)arg;
    return -UNW_EBADREG;
}

static int resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
    (void)as;
    (void)c;
    (void)arg;
    return -UNW_EINVAL;
}

static int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need,
                          void *arg)
{
    return local_acc->find_proc_info(as, ip, pi, need, arg);
}

static void put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
    local_acc->put_unwind_info(as, pi, arg);
}

static int get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
    (void)as;
    (void)arg;
    *addr = 0; /* no JIT registrations */
    return -UNW_ENOINFO;
}

static int phdr_counters(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    unsigned long long *out = arg;
    out[0] = info->dlpi_adds;
    out[1] = info->dlpi_subs;
    return 1;
}

int unwind_remote_init(void)
{
    if (remote_as)
        return 0;
    local_acc = unw_get_accessors(unw_local_addr_space);
    if (!local_acc || !local_acc->find_proc_info || !local_acc->put_unwind_info)
        return -1;
    unw_accessors_t acc = {
        .find_proc_info = find_proc_info,
        .put_unwind_info = put_unwind_info,
        .get_dyn_info_list_addr = get_dyn_info_list_addr,
        .access_mem = access_mem,
        .access_reg = access_reg,
        .access_fpreg = access_fpreg,
        .resume = resume,
    };
    remote_as = unw_create_addr_space(&acc, 0);
    if (!remote_as)
        return -1;
    unw_set_caching_policy(remote_as, UNW_CACHE_GLOBAL);
    return 0;
}

size_t unwind_remote(const unwind_regs *regs, const void *copy, uint64_t copy_base, size_t copy_len,
                     uint64_t *pcs, size_t max)
{
    if (max == 0)
        return 0;
    pcs[0] = regs->pc;
    if (!remote_as)
        return 1;
    unsigned long long counters[2] = {0, 0};
    dl_iterate_phdr(phdr_counters, counters);
    if (counters[0] != seen_adds || counters[1] != seen_subs) {
        unw_flush_cache(remote_as, 0, 0);
        seen_adds = counters[0];
        seen_subs = counters[1];
    }
    remote_arg arg = {regs, copy, copy_base, copy_len, getpid()};
    unw_cursor_t cursor;
    if (unw_init_remote(&cursor, remote_as, &arg) != 0)
        return 1;
    size_t n = 1;
    uint64_t last_sp = regs->sp;
    while (n < max && unw_step(&cursor) > 0) {
        unw_word_t ip = 0, sp = 0;
        unw_get_reg(&cursor, UNW_REG_IP, &ip);
        unw_get_reg(&cursor, UNW_REG_SP, &sp);
        if (ip == 0 || sp < last_sp) /* a stack grows down: anything else is garbage */
            break;
        last_sp = sp;
        pcs[n++] = ip;
    }
    return n;
}
