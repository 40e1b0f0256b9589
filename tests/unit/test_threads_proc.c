/*
 * test_threads_proc.c — the pure parts of the threads profile: /proc text
 * parsers (stat, syscall, status masks, wchan), state names, the rules that
 * name the system call a thread is blocked in, and CPROF_SIGNAL parsing;
 * plus the readers against this very process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "threads/threads.h"
#include "threads/threads_blocking.h"

/* A real stat line of a thread named "a) (b" (comm may hold both). */
static const char *stat_line =
    "4242 (a) (b) S 4200 4200 4100 34816 4200 1077936192 120 0 0 0 17 5 0 0 20 0 3 0 "
    "987654 12345678 512 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 -1 1 0 0 0 0 0\n";

static void test_parse_stat(void **state)
{
    (void)state;
    thread_proc_info info;
    memset(&info, 0, sizeof info);
    assert_int_equal(threads_parse_stat(stat_line, &info), 0);
    assert_string_equal(info.name, "a) (b");
    assert_int_equal(info.state, 'S');
    assert_int_equal(info.utime_ticks, 17);
    assert_int_equal(info.stime_ticks, 5);
    assert_int_equal(info.start_ticks, 987654);

    /* A 15-character name (the kernel's limit) is kept whole. */
    assert_int_equal(threads_parse_stat("7 (fifteen-chars-x) D 1 1 1 0 -1 0 0 0 0 0 3 4 0 0 20 "
                                        "0 1 0 99 0 0\n",
                                        &info),
                     0);
    assert_string_equal(info.name, "fifteen-chars-x");
    assert_int_equal(info.state, 'D');
    assert_int_equal(info.start_ticks, 99);

    /* Malformed lines: common/proc_stat.c's test. */
    assert_int_equal(threads_parse_stat("12 (x) S 1 2 3", &info), -1);
}

static void test_parse_syscall(void **state)
{
    (void)state;
    assert_int_equal(threads_parse_syscall("0 0x3 0x7f00 0x20000 0x0 0x0 0x0 0x7ffd 0x7f01\n"), 0);
    assert_int_equal(threads_parse_syscall("232 0x4 0x7ffd 0x1 0xffffffff 0 0 0x7ffd 0x7f\n"), 232);
    assert_int_equal(threads_parse_syscall("running\n"), -1);
    assert_int_equal(threads_parse_syscall("-1 0x7ffd1 0x7f0\n"), -1);
    assert_int_equal(threads_parse_syscall(""), -1);
    assert_int_equal(threads_parse_syscall(NULL), -1);
    assert_int_equal(threads_parse_syscall("12x 0"), -1);
}

static void test_parse_syscall_pc(void **state)
{
    (void)state;
    uint64_t pc = 0;
    assert_int_equal(
        threads_parse_syscall_pc("0 0x3 0x7f00 0x20000 0x0 0x0 0x0 0x7ffd10 0x7f01ab\n", &pc), 0);
    assert_int_equal(pc, 0x7f01ab);
    assert_int_equal(threads_parse_syscall_pc("-1 0x7ffd1 0x55aa\n", &pc), 0);
    assert_int_equal(pc, 0x55aa);
    assert_int_equal(threads_parse_syscall_pc("running\n", &pc), -1);
    assert_int_equal(threads_parse_syscall_pc("", &pc), -1);
    assert_int_equal(threads_parse_syscall_pc(NULL, &pc), -1);
    assert_int_equal(threads_parse_syscall_pc("0 0x3 0x7f00 zz\n", &pc), -1);
}

static void test_parse_syscall_full(void **state)
{
    (void)state;
    thread_syscall sc;
    assert_int_equal(
        threads_parse_syscall_full("232 0x4 0x7ffd 0x1 0xffffffff 0x0 0x0 0x7ffd10 0x7f01\n", &sc),
        0);
    assert_int_equal(sc.nr, 232);
    assert_int_equal(sc.args[0], 4);
    assert_int_equal(sc.args[3], 0xffffffff);
    assert_int_equal(threads_parse_syscall_full("running\n", &sc), 0);
    assert_int_equal(sc.nr, -1);
    assert_int_equal(threads_parse_syscall_full("-1 0x7ffd1 0x55aa\n", &sc), 0);
    assert_int_equal(sc.nr, -1);
    assert_int_equal(threads_parse_syscall_full("7 0x1 0x2\n", &sc), -1); /* cut short */
    assert_int_equal(threads_parse_syscall_full("", &sc), -1);
    assert_int_equal(threads_read_syscall_full(gettid(), &sc), 0);
    assert_int_equal(threads_read_syscall_full(-5, &sc), -1);
}

/* Which calls a caught signal would cut short (signal(7)). */
static void test_syscall_interrupts(void **state)
{
    (void)state;
    thread_syscall sc = {.nr = SYS_clock_nanosleep};
    assert_int_equal(blocking_syscall_interrupts(&sc), 1);
    sc.nr = SYS_epoll_wait;
    assert_int_equal(blocking_syscall_interrupts(&sc), 1);
    sc.nr = SYS_futex;
    assert_int_equal(blocking_syscall_interrupts(&sc), 0);
    sc.nr = -1;
    assert_int_equal(blocking_syscall_interrupts(&sc), 0);
    /* read/recv: only on a socket with a receive timeout. */
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    sc.nr = SYS_read;
    sc.args[0] = (uint64_t)sv[0];
    assert_int_equal(blocking_syscall_interrupts(&sc), 0);
    struct timeval tv = {1, 0};
    assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    assert_int_equal(blocking_syscall_interrupts(&sc), 1);
    sc.nr = SYS_recvfrom;
    assert_int_equal(blocking_syscall_interrupts(&sc), 1);
    sc.nr = SYS_write;
    assert_int_equal(blocking_syscall_interrupts(&sc), 0); /* no send timeout */
    int p[2];
    assert_int_equal(pipe(p), 0);
    sc.nr = SYS_read;
    sc.args[0] = (uint64_t)p[0]; /* not a socket */
    assert_int_equal(blocking_syscall_interrupts(&sc), 0);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

static void test_status_masks(void **state)
{
    (void)state;
    const char *status = "Name:\tt1\nState:\tS (sleeping)\nSigQ:\t0/96365\n"
                         "SigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n"
                         "SigBlk:\t0000000400000000\nSigIgn:\t0000000000000000\n"
                         "SigCgt:\t0000000400004000\n";
    /* bit 34 (0-based) is signal 35 */
    assert_int_equal(threads_status_has_signal(status, "SigBlk", 35), 1);
    assert_int_equal(threads_status_has_signal(status, "SigBlk", 34), 0);
    assert_int_equal(threads_status_has_signal(status, "SigPnd", 35), 0);
    assert_int_equal(threads_status_has_signal(status, "SigCgt", 15), 1);
    assert_int_equal(threads_status_has_signal(status, "Missing", 1), -1);
    /* "SigBlk" must not match a longer field name that starts with it */
    assert_int_equal(threads_status_has_signal("SigBlkX:\tffff\n", "SigBlk", 1), -1);
    assert_int_equal(threads_status_has_signal("SigBlk:\tffffffffffffffff\n", "SigBlk", 64), 1);
}

static void test_state_names(void **state)
{
    (void)state;
    assert_string_equal(threads_state_name('R'), "running");
    assert_string_equal(threads_state_name('S'), "sleeping");
    assert_string_equal(threads_state_name('D'), "disk wait");
    assert_string_equal(threads_state_name('Z'), "zombie");
    assert_string_equal(threads_state_name('T'), "stopped");
    assert_string_equal(threads_state_name('t'), "tracing stop");
    assert_string_equal(threads_state_name('I'), "idle");
    assert_string_equal(threads_state_name('?'), "unknown");
}

static void test_clean_wchan(void **state)
{
    (void)state;
    char w[64];
    strcpy(w, "poll_schedule_timeout.constprop.0");
    threads_clean_wchan(w);
    assert_string_equal(w, "poll_schedule_timeout");
    strcpy(w, "0");
    threads_clean_wchan(w);
    assert_string_equal(w, "");
    strcpy(w, "do_epoll_wait\n");
    threads_clean_wchan(w);
    assert_string_equal(w, "do_epoll_wait");
}

static void test_syscall_names(void **state)
{
    (void)state;
    assert_string_equal(threads_syscall_name(SYS_read), "read");
    assert_string_equal(threads_syscall_name(SYS_futex), "futex");
    assert_string_equal(threads_syscall_name(SYS_epoll_wait), "epoll_wait");
    assert_string_equal(threads_syscall_name(SYS_clock_nanosleep), "clock_nanosleep");
    assert_null(threads_syscall_name(-1));
    assert_null(threads_syscall_name(99999));
}

static void test_syscall_from_wchan(void **state)
{
    (void)state;
    /* The wait channels this kernel shows (reference §5), cleaned. */
    assert_string_equal(threads_syscall_from_wchan("do_epoll_wait"), "epoll_wait");
    assert_string_equal(threads_syscall_from_wchan("futex_do_wait"), "futex");
    assert_string_equal(threads_syscall_from_wchan("futex_wait_queue"), "futex");
    assert_string_equal(threads_syscall_from_wchan("anon_pipe_read"), "read");
    assert_string_equal(threads_syscall_from_wchan("unix_stream_read_generic"), "read");
    assert_string_equal(threads_syscall_from_wchan("inet_csk_accept"), "accept");
    assert_string_equal(threads_syscall_from_wchan("hrtimer_nanosleep"), "nanosleep");
    assert_string_equal(threads_syscall_from_wchan("poll_schedule_timeout"), "poll");
    assert_string_equal(threads_syscall_from_wchan("do_wait"), "wait4");
    assert_string_equal(threads_syscall_from_wchan("__do_sys_pause"), "pause");
    assert_string_equal(threads_syscall_from_wchan("__x64_sys_read"), "read");
    /* Too generic to name a call. */
    assert_null(threads_syscall_from_wchan("wait_woken"));
    assert_null(threads_syscall_from_wchan("schedule_timeout"));
    assert_null(threads_syscall_from_wchan(""));
    assert_null(threads_syscall_from_wchan(NULL));
}

static void test_syscall_from_function(void **state)
{
    (void)state;
    assert_string_equal(threads_syscall_from_function("__GI___libc_read"), "read");
    assert_string_equal(threads_syscall_from_function("read"), "read");
    assert_string_equal(threads_syscall_from_function("__libc_recv"), "recvfrom");
    assert_string_equal(threads_syscall_from_function("__GI___poll"), "poll");
    assert_string_equal(threads_syscall_from_function("epoll_wait"), "epoll_wait");
    assert_string_equal(threads_syscall_from_function("__GI___clock_nanosleep"), "clock_nanosleep");
    assert_string_equal(threads_syscall_from_function("__futex_abstimed_wait_common"), "futex");
    assert_string_equal(threads_syscall_from_function("__futex_abstimed_wait_common64"), "futex");
    assert_string_equal(threads_syscall_from_function("__lll_lock_wait"), "futex");
    assert_string_equal(threads_syscall_from_function("__libc_pause"), "pause");
    assert_string_equal(threads_syscall_from_function("__GI___fcntl64_nocancel"), "fcntl");
    assert_string_equal(threads_syscall_from_function("__libc_accept"), "accept");
    assert_string_equal(threads_syscall_from_function("__waitpid"), "wait4");
    assert_null(threads_syscall_from_function("syscall"));
    assert_null(threads_syscall_from_function("subscriber_main"));
    assert_null(threads_syscall_from_function("readline")); /* no prefix matching */
    assert_null(threads_syscall_from_function(NULL));
}

static void test_parse_signal(void **state)
{
    (void)state;
    int lo = 34, hi = 64;
    assert_int_equal(threads_parse_signal(NULL, lo, hi), 37);
    assert_int_equal(threads_parse_signal("", lo, hi), 37);
    assert_int_equal(threads_parse_signal("off", lo, hi), 0);
    assert_int_equal(threads_parse_signal("none", lo, hi), 0);
    assert_int_equal(threads_parse_signal("0", lo, hi), 0);
    assert_int_equal(threads_parse_signal("40", lo, hi), 40);
    assert_int_equal(threads_parse_signal("SIGRTMIN", lo, hi), 34);
    assert_int_equal(threads_parse_signal("SIGRTMIN+5", lo, hi), 39);
    assert_int_equal(threads_parse_signal("RTMIN+5", lo, hi), 39);
    assert_int_equal(threads_parse_signal("SIGRTMAX-2", lo, hi), 62);
    assert_int_equal(threads_parse_signal("SIGUSR2", lo, hi), SIGUSR2);
    assert_int_equal(threads_parse_signal("USR1", lo, hi), SIGUSR1);
    assert_int_equal(threads_parse_signal("SIGRTMIN+40", lo, hi), -1); /* past RTMAX */
    assert_int_equal(threads_parse_signal("SIGRTMAX+1", lo, hi), -1);
    assert_int_equal(threads_parse_signal("SIGRTMIN-1", lo, hi), -1);
    assert_int_equal(threads_parse_signal("SIGRTMIN+", lo, hi), -1);
    assert_int_equal(threads_parse_signal("65", lo, hi), -1);
    assert_int_equal(threads_parse_signal("-3", lo, hi), -1);
    assert_int_equal(threads_parse_signal("9", lo, hi), -1);  /* SIGKILL */
    assert_int_equal(threads_parse_signal("11", lo, hi), -1); /* SIGSEGV */
    assert_int_equal(threads_parse_signal("32", lo, hi), -1); /* glibc's own */
    assert_int_equal(threads_parse_signal("SIGTERMX", lo, hi), -1);
}

/* ---- readers, on this process ------------------------------------------- */

static void test_list_and_read_self(void **state)
{
    (void)state;
    size_t n;
    pid_t *tids = threads_list(&n);
    assert_non_null(tids);
    assert_true(n >= 1);
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        found |= tids[i] == gettid();
        if (i > 0)
            assert_true(tids[i - 1] < tids[i]);
    }
    assert_true(found);
    free(tids);
    assert_int_equal(threads_count(), (long)n);

    thread_proc_info info;
    assert_int_equal(threads_read_proc(gettid(), &info), 0);
    assert_int_equal(info.state, 'R');
    assert_true(strlen(info.name) > 0);
    assert_int_equal(threads_read_proc(999999999, &info), -1);

    char wchan[64];
    threads_read_wchan(gettid(), wchan, sizeof wchan);
    assert_string_equal(wchan, ""); /* running: "0" */
    long nr = 0;
    uint64_t pc = 1;
    if (threads_read_syscall(gettid(), &nr, &pc) == 0) /* when the kernel has the file */
        assert_true(nr >= 0);                          /* reading it is a read() */
    assert_int_equal(threads_read_syscall(999999999, &nr, &pc), -1);

    char status[4096];
    assert_int_equal(threads_read_status(gettid(), status, sizeof status), 0);
    assert_non_null(strstr(status, "SigBlk:"));
    assert_int_equal(threads_read_status(999999999, status, sizeof status), -1);
}

static void test_cpu_time(void **state)
{
    (void)state;
    int64_t before = threads_cpu_ns(gettid());
    assert_true(before >= 0);
    volatile uint64_t x = 0;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do { /* burn ~20 ms of CPU */
        for (int i = 0; i < 100000; i++)
            x += (uint64_t)i;
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 20000000L);
    int64_t after = threads_cpu_ns(gettid());
    assert_true(after - before >= 5000000);
    assert_int_equal(threads_cpu_ns(999999999), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_stat),
        cmocka_unit_test(test_parse_syscall),
        cmocka_unit_test(test_parse_syscall_pc),
        cmocka_unit_test(test_parse_syscall_full),
        cmocka_unit_test(test_syscall_interrupts),
        cmocka_unit_test(test_status_masks),
        cmocka_unit_test(test_state_names),
        cmocka_unit_test(test_clean_wchan),
        cmocka_unit_test(test_syscall_names),
        cmocka_unit_test(test_syscall_from_wchan),
        cmocka_unit_test(test_syscall_from_function),
        cmocka_unit_test(test_parse_signal),
        cmocka_unit_test(test_list_and_read_self),
        cmocka_unit_test(test_cpu_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
