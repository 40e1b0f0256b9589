# Hostile regular expressions against a profile with 1,000-character
# function names (generated here): a backreference ran past 20 s and froze
# the web UI; nested counted repetitions took glibc's regcomp to gigabytes.
# Both are refused at once, in one line, on the command line and in the web
# UI (a 400); nested * and + quantifiers, which RE2 accepts, stay fast.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/cprof_common.sh"
LONG=$(head -c 1000 /dev/zero | tr '\0' a)
python3 "$ROOT/tests/integration/lib/cprof_deep_profile.py" 3 "$WORK/long.pb.gz" "$LONG"
cd "$WORK"

# refused RE REASON: cprof -focus=RE fails in one line within 5 s.
refused() {
    local msg
    msg=$(one_line_error 1 timeout 5 "$CPROF" -top -focus="$1" long.pb.gz)
    [ "$msg" = "cprof: parsing focus regexp $1: $2 (RE2 syntax, as in go tool pprof)" ] ||
        fail "-focus=$1: $msg"
    echo "refused: $1"
}
refused '(a|aa)*(a)\2X' 'backreferences (\1 .. \9) are not supported'
refused '(a)\1' 'backreferences (\1 .. \9) are not supported'
refused '(a{1,100}){1,100}X' 'repetition count too large (nested {n} multiply; at most 1000)'
refused '((a{1,50}){1,50}){1,20}X' 'repetition count too large (nested {n} multiply; at most 1000)'
refused '(((a{0,30}){0,30}){0,30}){0,30}X' 'repetition count too large (nested {n} multiply; at most 1000)'
refused 'a{1001}' 'repetition count too large (nested {n} multiply; at most 1000)'

# accepted RE: matches in under 2 s (glibc without backreferences).
accepted() {
    local start end
    start=$(date +%s%N)
    timeout 10 "$CPROF" -top -focus="$1" long.pb.gz >"$WORK/out" 2>"$WORK/err" ||
        { cat "$WORK/err" >&2; fail "-focus=$1 failed"; }
    end=$(date +%s%N)
    [ $(((end - start) / 1000000)) -lt 2000 ] || fail "-focus=$1 took $(((end - start) / 1000000)) ms"
    echo "accepted: $1 ($(((end - start) / 1000000)) ms)"
}
accepted '(a|aa)*X'
accepted '((a|aa)*)*X'
accepted '(a+)+$X'
accepted '(a?){500}a{500}X'
accepted '(.*a){20}X'
accepted '[\2]x' # in brackets, \ and 2 are literal characters
accepted 'a{1000}f1$'
grep -q "f1\$" "$WORK/out" || fail "a{1000}f1\$ did not match its function"

# The web UI answers a 400 with the reason, at once, and stays up.
start_cprof_web web "$CPROF" long.pb.gz
URL=$WEB_URL
code=$(curl -s -o "$WORK/body" -w '%{http_code}' --max-time 5 "$URL/ui/?f=%28a%7Caa%29*%28a%29%5C2X")
[ "$code" = 400 ] || fail "web UI backreference: status $code"
grep -q 'backreferences (\\1 .. \\9) are not supported' "$WORK/body" || fail "web UI: no reason"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/ui/")
[ "$code" = 200 ] || fail "web UI down after a hostile regexp"
kill "$WEB_PID"
wait "$WEB_PID" 2>/dev/null || true
echo "PASS cprof_regex_safety"
