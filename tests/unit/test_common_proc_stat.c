/*
 * Unit tests of common/proc_stat.c: the one /proc/PID/stat parser (comm
 * with spaces and parentheses, parent, threads, start time), and a read of
 * this process's own file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/proc_stat.h"

static void test_parse(void **state)
{
    (void)state;
    proc_stat st;
    const char *line = "4242 (nginx: a) (b) S 4241 4242 4242 0 -1 4194624 10 0 0 0 17 5 0 0 20 0 "
                       "7 0 987654 12345678 512 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 -1 "
                       "1 0 0 0 0 0\n";
    assert_int_equal(proc_stat_parse(line, &st), 0);
    assert_string_equal(st.comm, "nginx: a) (b");
    assert_int_equal(st.state, 'S');
    assert_int_equal(st.ppid, 4241);
    assert_int_equal(st.utime_ticks, 17);
    assert_int_equal(st.stime_ticks, 5);
    assert_int_equal(st.num_threads, 7);
    assert_int_equal(st.start_ticks, 987654);
    assert_int_equal(proc_stat_parse("", &st), -1);
    assert_int_equal(proc_stat_parse("1 (x S 1", &st), -1);
    assert_int_equal(proc_stat_parse("1 (x) S 1 2 3", &st), -1); /* truncated */
    assert_int_equal(proc_stat_parse("1 (x) 9 1 2 3", &st), -1); /* no state */
}

static void test_read_self(void **state)
{
    (void)state;
    proc_stat st;
    assert_int_equal(proc_stat_read((long)getpid(), &st), 0);
    assert_int_equal(st.ppid, (long)getppid());
    assert_true(st.num_threads >= 1);
    assert_int_equal(proc_stat_read(999999999L, &st), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_read_self),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
