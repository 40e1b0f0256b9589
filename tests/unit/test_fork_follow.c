/*
 * Unit tests of CPROF_FOLLOW_FORK parsing: auto (also unset or empty) and
 * off, and a bad value costs one stderr line and falls back to auto. The
 * take-over itself needs real processes: tests/integration/daemon_*.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "process/config.h"
#include "process/fork_follow.h"

static char captured[1024];

/* The follow_fork setting (config.c) with CPROF_FOLLOW_FORK=value (NULL:
 * unset) and stderr captured in `captured`. */
static int mode_with(const char *value)
{
    if (value)
        setenv("CPROF_FOLLOW_FORK", value, 1);
    else
        unsetenv("CPROF_FOLLOW_FORK");
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    int saved = dup(2);
    dup2(fds[1], 2);
    cprof_settings s;
    settings_from_env(&s);
    int mode = s.follow_fork;
    settings_free(&s);
    dup2(saved, 2);
    close(saved);
    close(fds[1]);
    ssize_t n = read(fds[0], captured, sizeof captured - 1);
    close(fds[0]);
    captured[n > 0 ? n : 0] = 0;
    return mode;
}

static void test_auto_is_the_default(void **state)
{
    (void)state;
    assert_int_equal(mode_with(NULL), 1);
    assert_string_equal(captured, "");
    assert_int_equal(mode_with(""), 1);
    assert_string_equal(captured, "");
    assert_int_equal(mode_with("auto"), 1);
    assert_string_equal(captured, "");
}

static void test_off(void **state)
{
    (void)state;
    assert_int_equal(mode_with("off"), 0);
    assert_string_equal(captured, "");
}

static void test_bad_value_one_line_and_auto(void **state)
{
    (void)state;
    assert_int_equal(mode_with("OFF "), 1);
    assert_string_equal(captured,
                        "cprof: CPROF_FOLLOW_FORK=\"OFF \" is not auto or off; using auto\n");
    assert_int_equal(mode_with("1"), 1);
    assert_non_null(strstr(captured, "is not auto or off"));
}

static void test_nothing_pending_without_fork(void **state)
{
    (void)state;
    assert_int_equal(fork_follow_pending(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto_is_the_default),
        cmocka_unit_test(test_off),
        cmocka_unit_test(test_bad_value_one_line_and_auto),
        cmocka_unit_test(test_nothing_pending_without_fork),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
