# cprof -disasm and -weblist against go tool pprof, on the CPU profile of a
# small C program (lib/disasm_prog.c) built here and run under libprofiler.
#
# go tool pprof (cmd/pprof of Go 1.19) disassembles with Go's own object
# reader, not binutils: Go assembler syntax, no file:line for C code, no
# address translation for PIE binaries, no C symbolization. So the program
# is built -no-pie for the comparisons and the profile symbolized by cprof
# (-proto) first, and what is compared is what both compute from the
# profile: every instruction's address, flat and cum, and the ROUTINE,
# Total and (flat, cum) lines; cprof's instruction text is objdump's
# (AT&T syntax) where pprof prints Go's. weblist: pprof cannot map C
# instructions to lines, so its listing of a C binary is empty; with the
# binary absent both list the profile's own lines, compared line for line
# (weights and source text; HTML entities normalized: pprof writes &#34;,
# cprof &quot;). With the binary, cprof's weblist is checked on its own:
# lines with weights, each expandable to its instructions, the inlined
# call to mix() shown, source text escaped.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"

PROFILER=$(gcc -print-file-name=libprofiler.so.0)
[ -f "$PROFILER" ] || fail "libprofiler is not installed (scripts/install-deps.sh)"
command -v objdump >/dev/null || fail "objdump is not installed (binutils)"
cd "$WORK"
cp "$ROOT/tests/integration/lib/disasm_prog.c" prog.c
cc -std=gnu11 -O2 -g -fno-omit-frame-pointer -no-pie -o prog prog.c || fail "disasm_prog does not build (no-pie)"
cc -std=gnu11 -O2 -g -fno-omit-frame-pointer -o prog_pie prog.c || fail "disasm_prog does not build"
CPUPROFILE=$WORK/cpu.prof LD_PRELOAD=$PROFILER ./prog >/dev/null 2>cpu.err || { cat cpu.err >&2; fail "prog under libprofiler"; }
CPUPROFILE=$WORK/pie.prof LD_PRELOAD=$PROFILER ./prog_pie >/dev/null 2>pie.err || { cat pie.err >&2; fail "prog_pie under libprofiler"; }
"$CPROF" -proto -output sym.pb.gz ./prog cpu.prof 2>/dev/null || fail "cprof -proto ./prog cpu.prof"

# columns FILE: what both tools compute, one line each.
columns() {
    awk '/^Total:|^ROUTINE|\(flat, cum\)/ { print; next }
         /^ +[^ ]+ +[^ ]+ +[0-9a-f]+: / { print $1, $2, $3 }' "$1"
}

# same_disasm ARGS...: the columns of cprof's and pprof's -disasm agree.
same_disasm() {
    go tool pprof "$@" >pprof.dis 2>pprof.err || { cat pprof.err >&2; fail "go tool pprof $*"; }
    "$CPROF" "$@" >cprof.dis 2>cprof.err || { cat cprof.err >&2; fail "cprof $*"; }
    columns pprof.dis >pprof.cols
    columns cprof.dis >cprof.cols
    grep -q '^ROUTINE' cprof.cols || fail "cprof $* lists no routine"
    if ! cmp -s pprof.cols cprof.cols; then
        diff pprof.cols cprof.cols | head -n 20 >&2
        fail "cprof $* differs from go tool pprof (addresses, flat, cum)"
    fi
    echo "same: $* ($(grep -c '' cprof.cols) lines)"
}

same_disasm -disasm=spin_loop sym.pb.gz
same_disasm -disasm=spin sym.pb.gz
same_disasm -disasm=main sym.pb.gz
same_disasm -disasm=spin_other -cum sym.pb.gz
same_disasm -disasm=spin -unit=s sym.pb.gz

# The weights add up: spin_loop's instructions' flat and cum are its row in
# top -noinlines (disasm, as pprof's, attributes inlined code to its caller).
"$CPROF" -disasm=spin_loop -unit=ms ./prog_pie pie.prof >pie.dis 2>pie.err || { cat pie.err >&2; fail "cprof -disasm on a PIE"; }
"$CPROF" -top -noinlines -unit=ms ./prog_pie pie.prof >pie.top 2>/dev/null
awk '/^ROUTINE/ {on = 1; next} on && /^ +[^ ]+ +[^ ]+ +[0-9a-f]+: / {
        if ($1 != ".") f += $1 + 0; if ($2 != ".") c += $2 + 0 }
     END { printf "%dms %dms\n", f, c }' pie.dis >pie.sum
want=$(awk '$NF == "spin_loop" { printf "%dms %dms\n", $1 + 0, $4 + 0 }' pie.top)
[ -n "$want" ] && [ "$(cat pie.sum)" = "$want" ] ||
    fail "PIE: spin_loop's instructions sum to $(cat pie.sum), top says $want"
grep -q ';spin_loop prog.c:' pie.dis || fail "PIE: no file:line annotations from objdump"
echo "PIE: spin_loop's instructions sum to its top row ($want)"

# ---- weblist ----
# entities FILE: the listing lines (the source part, before the
# instructions), pprof's and cprof's HTML entities made one spelling.
listing() {
    grep -a '^<span class=line>' "$1" | sed 's/<span class=asm>.*//; s/&#34;/\&quot;/g; s/&#39;/\&#39;/g'
}
mv prog prog.hidden
go tool pprof -weblist=spin -output=pprof.html sym.pb.gz 2>/dev/null || fail "go tool pprof -weblist"
"$CPROF" -weblist=spin -output=cprof.html sym.pb.gz 2>weblist.err || { cat weblist.err >&2; fail "cprof -weblist"; }
mv prog.hidden prog
grep -q 'no binary found' weblist.err || fail "cprof -weblist did not say the binary is missing"
listing pprof.html >pprof.lines
listing cprof.html >cprof.lines
[ -s cprof.lines ] || fail "cprof -weblist listed no lines"
if ! cmp -s pprof.lines cprof.lines; then
    diff pprof.lines cprof.lines | head -n 20 >&2
    fail "cprof -weblist's lines differ from go tool pprof's"
fi
echo "same: -weblist=spin, binary absent ($(grep -c '' cprof.lines) lines)"

# With the binary: instructions under the lines, the inlined mix() shown.
"$CPROF" -weblist=spin_loop ./prog_pie pie.prof >pie.html 2>pie.err || { cat pie.err >&2; fail "cprof -weblist PIE"; }
grep -q '^<!DOCTYPE html>' pie.html || fail "weblist is not an HTML page"
grep -a '^<span class=line>' pie.html | grep -q 'class=livesrc> .*[0-9]ms' || fail "no line with weights and instructions"
grep -aq '<span class=inlinesrc> *return x + i \* 0.5 / (i + 1);' pie.html || fail "the inlined call to mix() is not shown"
grep -aqE '^ +[.0-9a-z]+ +[.0-9a-z]+ +[0-9a-f]+: +(add|div|cvt|mov|pxor|lea|jmp|jl|comisd|call)' pie.html ||
    fail "no instruction lines"
"$CPROF" -weblist=spin_other ./prog_pie pie.prof >other.html 2>/dev/null || fail "cprof -weblist spin_other"
grep -aq '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp;' other.html || fail "source text not escaped"
grep -aq '<script>alert' other.html && fail "source text reached the page unescaped"
echo "weblist: lines, instructions, inlined calls, escaping"

# ---- errors ----
one_line_error 1 "$CPROF" -disasm=nosuchfunction sym.pb.gz | grep -qx 'cprof: no matches found for regexp: nosuchfunction' ||
    fail "no match: wrong message"
one_line_error 1 "$CPROF" -weblist=nosuchfunction sym.pb.gz >/dev/null
mkdir bin
ln -s "$(command -v nm)" bin/nm
PATH=$WORK/bin "$CPROF" -disasm=spin_loop sym.pb.gz >out 2>err && fail "disasm without objdump succeeded"
grep -qx 'cprof: cannot disasm: no objdump tool available (install binutils)' err ||
    { cat err >&2; fail "no clear error without objdump"; }
mv prog prog.hidden
"$CPROF" -disasm=spin_loop sym.pb.gz >out 2>err && fail "disasm without the binary succeeded"
mv prog.hidden prog
grep -q "cprof: prog: no binary found" err || { cat err >&2; fail "no clear error without the binary"; }
echo "errors: no match, no objdump, no binary"

# Source files named by a profile are read only when regular: a FIFO or a
# device under -source_path neither blocks nor floods (list and weblist).
python3 "$ROOT/tests/integration/lib/cprof_deep_profile.py" 3 deep.pb.gz
mkdir fifo zero
mkfifo fifo/deep.c
ln -s /dev/zero zero/deep.c
for dir in fifo zero; do
    timeout 20 "$CPROF" -weblist=f1 -source_path="$WORK/$dir" deep.pb.gz >deep.html 2>deep.err ||
        { cat deep.err >&2; fail "weblist with deep.c a $dir: failed or hung"; }
    grep -aq '^<span class=line>  *11</span> <span class=deadsrc> .*??? </span>' deep.html ||
        fail "weblist with deep.c a $dir: line 11 is not ??? (the file was read)"
    timeout 20 "$CPROF" -list=f1 -source_path="$WORK/$dir" deep.pb.gz >deep.list 2>&1 ||
        { cat deep.list >&2; fail "list with deep.c a $dir: failed or hung"; }
    grep -q ' Error: could not find file deep.c' deep.list || fail "list with deep.c a $dir: no error line"
done
echo "sources: a FIFO or a device is not read"

# Under ASan/UBSan: both reports, and a profile whose mapping names a file
# that is not ELF.
asan_run "disasm" -disasm=spin ./prog_pie pie.prof
asan_run "weblist" -weblist=spin ./prog_pie pie.prof
asan_run "weblist of a missing binary" -weblist=. sym.pb.gz
echo "ok"
