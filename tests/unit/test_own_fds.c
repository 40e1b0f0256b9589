/*
 * test_own_fds — the program's close, close_range and closefrom skip the
 * descriptors marked as cprof's and close all the others; cprof's own
 * closes are real.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "process/own_fds.h"
#include "process/own_threads.h"

static int is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1;
}

/* n consecutive open descriptors from `base` up (numbers no one else
 * uses in this test). */
static int open_run(int *fds, int n, int base)
{
    int null = open("/dev/null", O_RDONLY);
    if (null < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        fds[i] = fcntl(null, F_DUPFD, base + i);
        if (fds[i] != base + i)
            return -1;
    }
    close(null);
    return 0;
}

static void test_close_skips_own(void **state)
{
    (void)state;
    int fds[2] = {-1, -1};
    assert_int_equal(open_run(fds, 2, 300), 0);
    own_fd_add(fds[0]);
    assert_int_equal(close(fds[0]), 0); /* the program's: kept */
    assert_true(is_open(fds[0]));
    assert_int_equal(close(fds[1]), 0); /* not ours: closed */
    assert_false(is_open(fds[1]));
    assert_int_equal(own_fd_close(fds[0]), 0);
    assert_false(is_open(fds[0]));
    assert_false(own_fd_is(fds[0]));
}

static void test_close_range_splits(void **state)
{
    (void)state;
    int fds[8] = {0};
    assert_int_equal(open_run(fds, 8, 400), 0);
    own_fd_add(fds[0]); /* at the start */
    own_fd_add(fds[3]); /* in the middle, two in a row */
    own_fd_add(fds[4]);
    own_fd_add(fds[7]); /* at the end */
    assert_int_equal(close_range((unsigned)fds[0], (unsigned)fds[7], 0), 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(is_open(fds[i]), i == 0 || i == 3 || i == 4 || i == 7);
    /* closefrom: everything of the program's above, ours kept. */
    int more[2] = {-1, -1};
    assert_int_equal(open_run(more, 2, 420), 0);
    closefrom(fds[0]);
    assert_false(is_open(more[0]));
    assert_true(is_open(fds[3]) && is_open(fds[7]));
    /* cprof's own close_range is real and forgets the marks. */
    own_scope s;
    own_threads_enter(&s);
    assert_int_equal(close_range((unsigned)fds[0], (unsigned)fds[7], 0), 0);
    own_threads_leave(&s);
    for (int i = 0; i < 8; i++) {
        assert_false(is_open(fds[i]));
        assert_false(own_fd_is(fds[i]));
    }
}

static void test_forget_all(void **state)
{
    (void)state;
    int fd = -1;
    assert_int_equal(open_run(&fd, 1, 500), 0);
    own_fd_add(fd);
    own_fds_forget_all();
    assert_int_equal(close(fd), 0);
    assert_false(is_open(fd));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_close_skips_own),
        cmocka_unit_test(test_close_range_splits),
        cmocka_unit_test(test_forget_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
