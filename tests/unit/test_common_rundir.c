/*
 * test_common_rundir — where the per-user runtime directory is, when an
 * existing one is trusted (a real directory, ours, 0700) and the PID.sock
 * names.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/rundir.h"

static void test_path(void **state)
{
    (void)state;
    char out[256], want[64];
    setenv("XDG_RUNTIME_DIR", "/run/user/42", 1);
    assert_int_equal(rundir_path(out, sizeof out), 0);
    assert_string_equal(out, "/run/user/42/cprof");
    setenv("XDG_RUNTIME_DIR", "relative", 1); /* not absolute: ignored */
    assert_int_equal(rundir_path(out, sizeof out), 0);
    snprintf(want, sizeof want, "/tmp/cprof-%ld", (long)geteuid());
    assert_string_equal(out, want);
    unsetenv("XDG_RUNTIME_DIR");
    assert_int_equal(rundir_path(out, sizeof out), 0);
    assert_string_equal(out, want);
    assert_int_equal(rundir_path(out, 8), -1);
    assert_int_equal(rundir_socket_path("/d", 1234, out, sizeof out), 0);
    assert_string_equal(out, "/d/1234.sock");
    assert_int_equal(rundir_socket_path("/d", 1234, out, 8), -1);
}

static void test_socket_pid(void **state)
{
    (void)state;
    assert_int_equal(rundir_socket_pid("1234.sock"), 1234);
    assert_int_equal(rundir_socket_pid("1.sock"), 1);
    assert_int_equal(rundir_socket_pid("0.sock"), -1);
    assert_int_equal(rundir_socket_pid("012.sock"), -1);
    assert_int_equal(rundir_socket_pid("12.sock.bak"), -1);
    assert_int_equal(rundir_socket_pid("12"), -1);
    assert_int_equal(rundir_socket_pid(".sock"), -1);
    assert_int_equal(rundir_socket_pid("x12.sock"), -1);
    assert_int_equal(rundir_socket_pid("99999999999999999999.sock"), -1);
}

static void test_check(void **state)
{
    (void)state;
    char base[] = "/tmp/test_rundir.XXXXXX";
    assert_non_null(mkdtemp(base));
    char dir[128], link[128], file[128];
    snprintf(dir, sizeof dir, "%s/cprof", base);
    snprintf(link, sizeof link, "%s/link", base);
    snprintf(file, sizeof file, "%s/file", base);

    errno = 0;
    assert_int_equal(rundir_check(dir, 0), -1); /* missing, not created */
    assert_int_equal(errno, ENOENT);
    assert_int_equal(rundir_check(dir, 1), 0); /* created 0700 */
    struct stat st;
    assert_int_equal(lstat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(rundir_check(dir, 1), 0); /* exists: fine */

    assert_int_equal(chmod(dir, 0750), 0); /* open to the group */
    assert_int_equal(rundir_check(dir, 1), -1);
    assert_int_equal(errno, EPERM);
    assert_int_equal(chmod(dir, 0700), 0);

    assert_int_equal(symlink(dir, link), 0); /* a symlink to a good one */
    assert_int_equal(rundir_check(link, 1), -1);
    assert_int_equal(errno, ENOTDIR);

    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(rundir_check(file, 1), -1);
    assert_int_equal(errno, ENOTDIR);

    unlink(file);
    unlink(link);
    rmdir(dir);
    rmdir(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_socket_pid),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
