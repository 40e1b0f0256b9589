/*
 * test_cprof_objtool.c — the parsers of nm's and objdump's output
 * (tool/symbolize/objtool.c) on fixed text, as GNU binutils print it: a
 * symbol's range from its size or the next symbol, aliases, undefined
 * symbols skipped, an address selecting a symbol; instructions with the
 * function and file:line objdump -l names, reset by other lines. And the
 * tools themselves on this test's own binary (objdump and nm are binutils,
 * a build dependency).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <regex.h>
#include <unistd.h>

#include "symbolize/objtool.h"

static const char nm_text[] = "                 U abort@GLIBC_2.2.5\n"
                              "                 w __gmon_start__\n"
                              "0000000000001000 T _init\n"
                              "0000000000001190 00000000000000e0 T spin_loop\n"
                              "0000000000001280 0000000000000010 T alias_a\n"
                              "0000000000001280 0000000000000010 W alias_b\n"
                              "00000000000012a0 T last_one\n";

static void nm_ranges(void **state)
{
    (void)state;
    regex_t re;
    assert_int_equal(regcomp(&re, "spin|last|_init", REG_EXTENDED | REG_NOSUB), 0);
    obj_sym *s;
    size_t n;
    assert_int_equal(objtool_parse_symbols(nm_text, sizeof nm_text - 1, "f", &re, 0, &s, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(s[0].names[0], "_init"); /* no size: up to the next symbol */
    assert_int_equal(s[0].start, 0x1000);
    assert_int_equal(s[0].end, 0x118f);
    assert_string_equal(s[1].names[0], "spin_loop"); /* sized: start + size - 1 */
    assert_int_equal(s[1].end, 0x1190 + 0xe0 - 1);
    assert_string_equal(s[2].names[0], "last_one"); /* the last, unsized: to the end */
    assert_int_equal(s[2].end, UINT64_MAX);
    objtool_syms_free(s, n);
    regfree(&re);
    /* an address inside the alias group selects every name of it */
    assert_int_equal(regcomp(&re, "0x1284", REG_EXTENDED | REG_NOSUB), 0);
    assert_int_equal(objtool_parse_symbols(nm_text, sizeof nm_text - 1, "f", &re, 0x1284, &s, &n),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(s[0].n_names, 2);
    assert_string_equal(s[0].names[0], "alias_a");
    assert_string_equal(s[0].names[1], "alias_b");
    objtool_syms_free(s, n);
    regfree(&re);
}

static const char dis_text[] = "\n"
                               "prog:     file format elf64-x86-64\n"
                               "\n"
                               "\n"
                               "Disassembly of section .text:\n"
                               "\n"
                               "0000000000001190 <spin_loop>:\n"
                               "spin_loop():\n"
                               "/tmp/prog.c:15\n"
                               "    1190:\tpush   %rbp\n"
                               "cpu_seconds():\n"
                               "/tmp/prog.c:7 (discriminator 2)\n"
                               "    1191:\tmov    $0x2,%edi\n"
                               "    1196:\tcall   1030 <clock_gettime@plt>\n"
                               "...\n"
                               "    11a0:\tret    \n";

static void objdump_lines(void **state)
{
    (void)state;
    obj_inst *v;
    size_t n;
    assert_int_equal(objtool_parse_disasm(dis_text, sizeof dis_text - 1, &v, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(v[0].addr, 0x1190);
    assert_string_equal(v[0].text, "push   %rbp");
    assert_string_equal(v[0].function, "spin_loop");
    assert_string_equal(v[0].file, "/tmp/prog.c");
    assert_int_equal(v[0].line, 15);
    assert_string_equal(v[1].function, "cpu_seconds");
    assert_int_equal(v[1].line, 7);
    assert_string_equal(v[2].text, "call   1030 <clock_gettime@plt>");
    assert_int_equal(v[2].line, 7);
    /* "..." is no line pprof knows: function and file:line reset */
    assert_int_equal(v[3].addr, 0x11a0);
    assert_string_equal(v[3].text, "ret");
    assert_string_equal(v[3].function, "");
    assert_int_equal(v[3].line, 0);
    objtool_insts_free(v, n);
}

__attribute__((noinline, used)) int objtool_probe(int x)
{
    __asm__ volatile("" ::: "memory");
    return x * 3 + 1;
}

/* The real tools on this binary: nm finds objtool_probe, objdump lists it. */
static void real_tools(void **state)
{
    (void)state;
    char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(len > 0);
    self[len] = 0;
    regex_t re;
    assert_int_equal(regcomp(&re, "^objtool_probe$", REG_EXTENDED | REG_NOSUB), 0);
    obj_sym *s;
    size_t n;
    cp_err err;
    assert_int_equal(objtool_symbols(self, &re, 0, &s, &n, &err), 0);
    assert_int_equal(n, 1);
    obj_inst *v;
    size_t ni;
    assert_int_equal(objtool_disasm(self, s[0].start, s[0].end, &v, &ni, &err), 0);
    assert_true(
        ni >=
        1); /* --stop-address is exclusive: a 1-byte ret at the end is not listed (as in pprof) */
    assert_int_equal(v[0].addr, s[0].start);
    assert_string_equal(v[0].function, "objtool_probe");
    objtool_insts_free(v, ni);
    objtool_syms_free(s, n);
    regfree(&re);
    /* a file that is not there: objdump's own message, one line */
    assert_int_equal(objtool_disasm("/nonexistent/x", 0, 16, &v, &ni, &err), -1);
    assert_non_null(strstr(err.msg, "cannot disasm: objdump failed: "));
    assert_null(strchr(err.msg, '\n'));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nm_ranges),
        cmocka_unit_test(objdump_lines),
        cmocka_unit_test(real_tools),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
