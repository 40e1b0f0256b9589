# cprof's interactive shell (tool/shell.c) on a pseudo-terminal, against go
# tool pprof's shell on the same Go profiles (the strings benchmarks, CPU and
# heap): the same commands typed into cprof (lib/shell_session.py pty) and
# piped into pprof (pprof reads commands from stdin without a terminal) print
# the same thing, command by command — top, topN, top20 -cum, per-command
# focus/-ignore, list, peek, tree, traces, tags, settings with and without
# spaces that persist (focus, ignore, hide, show, tagfocus, sample_index and
# its shortcuts, unit, nodecount, cum/flat, granularity), ":", "top >file",
# and `o`'s values. Then what only cprof's shell has or does differently:
# `cum` alone, a bad regexp (one line, the shell goes on with the old value),
# a 70,000-byte line, svg/dot/proto/web files, `web` with and without a
# browser, help, ^D, TAB completion, the history kept in $CPROF_HOME across
# sessions; and without a terminal on stdin, `cprof SOURCE` still prints
# top, as does `cprof top SOURCE` on one.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
SESSION="python3 $ROOT/tests/integration/lib/shell_session.py"
go_profiles "$WORK/go"
mkdir -p "$WORK/pp" "$WORK/cc" "$WORK/tmp"
export TMPDIR=$WORK/tmp

# compare NAME PROFILE: the commands in $WORK/NAME.cmds, both shells, in
# their own directories (files written by ">file" are compared too).
compare() {
    local name=$1 profile=$WORK/go/$2
    (cd "$WORK/pp" && $SESSION pipe "$WORK/$name.pprof" "$WORK/$name.cmds" -- go tool pprof "$profile") ||
        fail "go tool pprof session $name"
    (cd "$WORK/cc" && $SESSION pty "$WORK/$name.cprof" "$WORK/$name.cmds" -- "$CPROF" "$profile") ||
        fail "cprof session $name"
    if ! cmp -s "$WORK/$name.pprof" "$WORK/$name.cprof"; then
        diff "$WORK/$name.pprof" "$WORK/$name.cprof" | head -n 30 >&2
        fail "cprof's shell differs from go tool pprof's ($name)"
    fi
    echo "same session: $name ($(grep -c '^### ' "$WORK/$name.cprof") sections)"
}

# section FILE CMD: what CMD printed in a transcript (its first section).
section() {
    awk -v want="### $2" '$0 == want { on = 1; next } /^### / { if (on) exit } on' "$1"
}

cat >"$WORK/cpu.cmds" <<'EOF'
top
top5
top20 -cum
top3 Index -runtime
top -5
top 0 -cum
focus=Fields
top
tree
ignore = unicode
top
hide=runtime
top
show=strings
top
:
show=
peek strings\.(Fields|Index)
list strings\.FieldsFunc$
traces
sample_index=samples
top5
samples
top4
cpu
unit=s
top5
unit=minimum
nodecount=3
top
tree
nodecount=-1
cum=true
top5
flat=true
top5
granularity=lines
top5
functions=true
top >top.txt
tree 5 -cum Fields >tree.txt
quit
EOF
compare cpu cpu.out
for f in top.txt tree.txt; do
    cmp -s "$WORK/pp/$f" "$WORK/cc/$f" || fail "$f written by the shells differs"
    [ -s "$WORK/cc/$f" ] || fail "$f is empty"
done
# Not just equal: the sections hold reports (a broken pair could agree).
grep -q '^Showing top 20 nodes out of' <<<"$(section "$WORK/cpu.cprof" "top20 -cum")" || fail "top20 -cum"
[ "$(section "$WORK/cpu.cprof" top5 | table_rows /dev/stdin | wc -l)" = 5 ] || fail "top5 rows"

cat >"$WORK/heap.cmds" <<'EOF'
top
sample_index=inuse_space
top
alloc_objects
top5 -cum
tagfocus=1kb:
top
tagfocus=
tags
tags 4kB -96B
peek Fields
traces
sample_index=1
top3
exit
EOF
compare heap mem.out

# `o`: the values of every setting cprof has, as pprof shows them.
printf '%s\n' 'unit=ms' 'nodecount = 7' 'cum=true' 'focus=Index' 'hide=runtime //: a comment' \
    'lines=true' 'inuse_objects' 'o' 'q' >"$WORK/o.cmds"
(cd "$WORK/pp" && $SESSION pipe "$WORK/o.pprof" "$WORK/o.cmds" -- go tool pprof "$WORK/go/mem.out") ||
    fail "pprof o"
(cd "$WORK/cc" && $SESSION pty "$WORK/o.cprof" "$WORK/o.cmds" -- "$CPROF" "$WORK/go/mem.out") ||
    fail "cprof o"
section "$WORK/o.cprof" o >"$WORK/o.c"
awk '{ print $1 }' "$WORK/o.c" >"$WORK/o.names"
[ "$(wc -l <"$WORK/o.names")" -ge 20 ] || fail "o lists $(wc -l <"$WORK/o.names") settings"
section "$WORK/o.pprof" o | grep -wFf "$WORK/o.names" >"$WORK/o.p" || true
diff "$WORK/o.p" "$WORK/o.c" >&2 || fail "o shows other values than pprof"
grep -q '^  nodecount  *= 7 ' "$WORK/o.c" || fail "o: nodecount"
grep -q '^  sort  *= cum ' "$WORK/o.c" || fail "o: sort"
echo "same values in o"

# What cprof's shell does on its own. A fake browser records what it opens.
cat >"$WORK/browser.sh" <<EOF
#!/bin/sh
echo "\$1" >"$WORK/browser.arg"
EOF
chmod +x "$WORK/browser.sh"
long=$(printf 'top %069996d' 0)
cat >"$WORK/own.cmds" <<EOF
cum
top3
flat
top3
focus=(
top2
$long
frobnicate
nodecount=abc
svg
svg >flame.svg
dot
proto
web
web >graph.svg
help
help focus
top2 -cum
\\x04
EOF
# Under ASan+UBSan (hostile lines; leaks at exit fail the session).
(cd "$WORK/cc" && BROWSER=$WORK/browser.sh $SESSION pty "$WORK/own.cprof" "$WORK/own.cmds" -- \
    "$ROOT/build/asan/cprof" "$WORK/go/cpu.out") || fail "cprof's own session"
own() { section "$WORK/own.cprof" "$1"; }
"$CPROF" -top -cum -nodecount=3 -compact_labels "$WORK/go/cpu.out" >"$WORK/cum3.cli"
"$CPROF" -top -nodecount=3 -compact_labels "$WORK/go/cpu.out" >"$WORK/flat3.cli"
"$CPROF" -top -nodecount=2 -compact_labels "$WORK/go/cpu.out" >"$WORK/flat2.cli"
section "$WORK/own.cprof" top3 | diff - "$WORK/cum3.cli" >&2 || fail "cum alone: not the -cum table"
awk '/^### top3$/ { n++ } n == 2 && !/^### / { print } /^### focus/ { exit }' "$WORK/own.cprof" |
    diff - "$WORK/flat3.cli" >&2 || fail "flat alone: not the flat table"
[ "$(own 'focus=(' | wc -l)" = 1 ] || fail "bad regexp: not one line"
grep -q '^parsing focus regexp (: ' <<<"$(own 'focus=(')" || fail "bad regexp: $(own 'focus=(')"
own top2 | diff - "$WORK/flat2.cli" >&2 || fail "after a bad regexp, focus changed"
[ "$(own "$long")" = "line too long (70000 bytes; at most 65536)" ] || fail "long line: $(own "$long" | head -c 200)"
[ "$(own frobnicate)" = 'unrecognized command: "frobnicate"' ] || fail "unknown command"
[ "$(own nodecount=abc)" = 'invalid value "abc" for nodecount: want an integer' ] ||
    fail "bad number: $(own nodecount=abc)"
[ "$(own svg)" = "Generating report in ./profile.svg" ] || fail "svg: $(own svg)"
grep -q '<svg' "$WORK/cc/profile.svg" || fail "svg: not an SVG"
grep -q '<svg' "$WORK/cc/flame.svg" || fail "svg >flame.svg"
grep -q '^digraph ' <<<"$(own dot)" || fail "dot"
[ "$(own proto)" = "Generating report in ./profile.pb.gz" ] || fail "proto: $(own proto)"
"$CPROF" -top "$WORK/cc/profile.pb.gz" >"$WORK/reread.txt" || fail "proto unreadable"
grep -q 'strings.FieldsFunc' "$WORK/reread.txt" || fail "proto: FieldsFunc missing"
web_file=$(own web | sed -n 's/^Generating report in //p')
for _ in $(seq 1 100); do # the browser runs detached: give it 5 s
    [ -s "$WORK/browser.arg" ] && break
    sleep 0.05
done
[ -n "$web_file" ] && [ "$(cat "$WORK/browser.arg")" = "$web_file" ] || fail "web: $(own web)"
[ "$(own 'web >graph.svg')" = "Generating report in graph.svg" ] || fail "web >file: $(own 'web >graph.svg')"
grep -q '<svg' "$WORK/cc/graph.svg" || fail "web >graph.svg: not an SVG"
[ "$(wc -l <"$WORK/browser.arg")" = 1 ] || fail "web >file started a browser"
grep -q '<svg' "$web_file" || fail "web: not an SVG"
help=$(own help)
grep -q '^  Commands:$' <<<"$help" || fail "help"
grep -q '^    o/options ' <<<"$help" || fail "help: o"
grep -qx 'Restricts to samples going through a node matching regexp' <<<"$(own 'help focus')" ||
    fail "help focus"
grep -q 'testing.(\*B).runN' <<<"$(own 'top2 -cum')" || fail "top2 -cum"
echo "own commands ok"

# History: the lines typed before are there after a restart (^P recalls the
# last one, which runs again).
grep -qx 'top2\\040-cum' "$CPROF_HOME/shell_history" || fail "history not saved"
! grep -q 'xxxxx\|0000000000' "$CPROF_HOME/shell_history" || fail "the long line entered the history"
printf '%s\n' '\x10' 'quit' >"$WORK/recall.cmds"
(cd "$WORK/cc" && $SESSION pty "$WORK/recall.cprof" "$WORK/recall.cmds" -- "$CPROF" "$WORK/go/cpu.out") ||
    fail "recall session"
section "$WORK/recall.cprof" $'\x10' | diff - <(own 'top2 -cum') >&2 || fail "^P did not recall top2 -cum"
echo "history ok"

# TAB completion (pprof's): the first word to a command, a report's word to
# the one function whose name contains it; several: the word stays.
printf '%s\n' 'tre\x09' 'top3 -madv\x09' 'peek Index\x09' 'quit' >"$WORK/complete.cmds"
(cd "$WORK/cc" && $SESSION pty "$WORK/complete.cprof" "$WORK/complete.cmds" -- \
    "$ROOT/build/asan/cprof" "$WORK/go/cpu.out") || fail "completion session"
"$CPROF" -tree -compact_labels "$WORK/go/cpu.out" >"$WORK/tree.cli"
"$CPROF" -peek=Index -compact_labels "$WORK/go/cpu.out" >"$WORK/peek.cli"
section "$WORK/complete.cprof" $'tre\t' | diff - "$WORK/tree.cli" >&2 || fail "tre<TAB> is not tree"
grep -qx '   ignore=runtime.madvise' <<<"$(section "$WORK/complete.cprof" $'top3 -madv\t')" ||
    fail "-madv<TAB> did not complete to -runtime.madvise"
section "$WORK/complete.cprof" $'peek Index\t' | diff - "$WORK/peek.cli" >&2 ||
    fail "an ambiguous word was completed"
echo "completion ok"

# web without a browser: the file's path.
mkdir "$WORK/bin"
ln -s "$(command -v dot)" "$WORK/bin/dot"
printf '%s\n' web quit >"$WORK/nobrowser.cmds"
(cd "$WORK/cc" && env -u BROWSER -u DISPLAY PATH="$WORK/bin" "$(command -v python3)" \
    "$ROOT/tests/integration/lib/shell_session.py" pty "$WORK/nobrowser.cprof" "$WORK/nobrowser.cmds" \
    -- "$CPROF" "$WORK/go/cpu.out") || fail "no-browser session"
file=$(section "$WORK/nobrowser.cprof" web | sed -n 's/^No browser could be started .*: open //p')
[ -n "$file" ] && grep -q '<svg' "$file" || fail "web without a browser: $(section "$WORK/nobrowser.cprof" web)"
echo "web without a browser ok"

# No terminal on stdin: top, as before.
"$CPROF" -top "$WORK/go/cpu.out" >"$WORK/top.cli"
"$CPROF" "$WORK/go/cpu.out" </dev/null >"$WORK/top.null" || fail "cprof SOURCE </dev/null"
cmp -s "$WORK/top.cli" "$WORK/top.null" || fail "without a terminal, not top"
echo quit | "$CPROF" "$WORK/go/cpu.out" >"$WORK/top.pipe" || fail "cprof SOURCE <pipe"
cmp -s "$WORK/top.cli" "$WORK/top.pipe" || fail "stdin a pipe: not top"
echo "no terminal: top"

# A terminal, but a report named (a word or a flag): that report, no shell.
for report in top -top; do
    script -qec "$CPROF $report $WORK/go/cpu.out" /dev/null </dev/null | tr -d '\r' >"$WORK/top.tty" ||
        fail "cprof $report on a terminal"
    cmp -s "$WORK/top.cli" "$WORK/top.tty" || fail "cprof $report on a terminal: not top"
done
echo "terminal and a report: the report"
