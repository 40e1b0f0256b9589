# The push agent over HTTPS (libcurl's TLS): a throwaway CA and server
# certificates made here with the openssl CLI, a receiver checking
# Pyroscope's ingest API behind TLS (python's ssl module) on a free
# loopback port.
#  - CPROF_PUSH_CACERT=the CA: the pushes arrive and go tool pprof decodes
#    every body; nothing fails.
#  - no CPROF_PUSH_CACERT (the system's store does not know the CA), another
#    CA, or the trusted CA's certificate for another name: pushing fails with
#    one clear stderr line, no request reaches the receiver (the handshake is
#    refused), and the host is unaffected (runs to its end, exits 0, serves
#    its listener). Verification is never turned off.
#  - CPROF_PUSH_CACERT naming no file, or a file without a certificate: one
#    line, pushing disabled, the program runs.
source "$(dirname "$0")/lib/common.sh"
pki=$WORK/pki
mkdir "$pki"
newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
ca() { # NAME: a self-signed CA NAME.pem / NAME.key
    openssl req -x509 "${newkey[@]}" -keyout "$pki/$1.key" -out "$pki/$1.pem" -days 2 \
        -subj "/CN=cprof test $1" -addext basicConstraints=critical,CA:TRUE \
        -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null || fail "openssl: CA $1"
}
leaf() { # NAME CA SAN: NAME.pem (its chain) / NAME.key, signed by CA, for SAN
    openssl req -new "${newkey[@]}" -keyout "$pki/$1.key" -out "$pki/$1.csr" -subj "/CN=$1" \
        2>/dev/null || fail "openssl: key $1"
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' \
        "$3" >"$pki/$1.ext"
    openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$2.pem" -CAkey "$pki/$2.key" -set_serial "0x$RANDOM$RANDOM" \
        -days 2 -extfile "$pki/$1.ext" -out "$pki/$1.pem" 2>/dev/null || fail "openssl: sign $1"
}
ca ca
ca other
leaf server ca IP:127.0.0.1
leaf wrongname ca DNS:wrong.example
openssl verify -CAfile "$pki/ca.pem" "$pki/server.pem" >/dev/null || fail "the test's own chain does not verify"

# run NAME URL VAR=VALUE...: push_busy (1 thread, 3 s) preloaded, pushing
# every 1 s to URL; its wall time in $WORK/NAME.secs. The host must run to
# its end and exit 0 whatever happens to pushing.
run() {
    local name=$1 url=$2 t0 t1
    shift 2
    t0=$(date +%s%N)
    env CPROF_ADDR=127.0.0.1:0 LD_PRELOAD="$LIB" CPROF_PUSH_URL="$url" CPROF_PUSH_INTERVAL=1 "$@" \
        "$HELPERS/push_busy" 3 1 >"$WORK/$name.out" 2>"$WORK/$name.err" || fail "$name: exit status $?"
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000)) >"$WORK/$name.ms"
    grep -q '^cpu_ns ' "$WORK/$name.out" || fail "$name: the program did not run to its end"
    served_port "$WORK/$name.err" | grep -q . || { cat "$WORK/$name.err"; fail "$name: no listener"; }
}
pushed() { ls "$1" | grep -c '\.pb\.gz$' || true; }

start_receiver "$WORK/recv" --tls-cert "$pki/server.pem" --tls-key "$pki/server.key"
url=https://127.0.0.1:$RECV_PORT

# Trusted through CPROF_PUSH_CACERT: every interval arrives and decodes.
run trusted "$url" CPROF_PUSH_CACERT="$pki/ca.pem"
if grep -q 'push to' "$WORK/trusted.err"; then cat "$WORK/trusted.err"; fail "a push over TLS failed"; fi
grep -q "pushing profiles to $url every 1 s" "$WORK/trusted.err" || { cat "$WORK/trusted.err"; fail "no start line"; }
[ ! -e "$WORK/recv/errors" ] || { cat "$WORK/recv/errors"; fail "requests that break Pyroscope's API"; }
[ ! -e "$WORK/recv/tls_failures" ] || { cat "$WORK/recv/tls_failures"; fail "handshakes failed with the CA trusted"; }
cpu=0 mem=0
for f in "$WORK/recv/"*.pb.gz; do
    pprof_clean -raw "$f" >"$WORK/raw.txt"
    case "$(sed -n '/^Samples:/{n;p;q}' "$WORK/raw.txt")" in
    "samples/count cpu/nanoseconds") cpu=$((cpu + 1)) ;;
    "alloc_objects/count alloc_space/bytes inuse_objects/count inuse_space/bytes") mem=$((mem + 1)) ;;
    *) fail "$f: sample types" ;;
    esac
done
[ "$cpu" -ge 3 ] && [ "$mem" -ge 3 ] || fail "over TLS: $cpu CPU and $mem memory profiles, want >= 3 each"
pprof_clean -top "$WORK/recv/1.pb.gz" "$WORK/recv/3.pb.gz" >/dev/null
echo "trusted: $cpu CPU and $mem memory profiles over TLS"

# expect_refused NAME RECVDIR REASON [server]: one failure line naming the
# URL and REASON, no recovery line (the wall time is printed; that a failing
# push never holds up the exit is push_agent_down.sh's); with "server", the
# receiver saw the handshakes
# fail (with TLS 1.3 a client refusing the server's name only closes the
# connection after the server's side of the handshake completed).
expect_refused() {
    local name=$1 dir=$2 reason=$3 n
    n=$(grep -c '^cprof: push to' "$WORK/$name.err" || true)
    [ "$n" = 1 ] && grep -qF "cprof: push to $url failed: " "$WORK/$name.err" &&
        grep '^cprof: push to' "$WORK/$name.err" | grep -qiE "$reason" ||
        { cat "$WORK/$name.err"; fail "$name: want one line 'push to $url failed: ...$reason...'"; }
    if grep -q 'works again' "$WORK/$name.err"; then cat "$WORK/$name.err"; fail "$name: recovered?"; fi
    [ "${4:-}" != server ] || [ -s "$dir/tls_failures" ] || fail "$name: the receiver saw no refused handshake"
    echo "$name ($(cat "$WORK/$name.ms") ms for 3 s of work): $(grep '^cprof: push to' "$WORK/$name.err")"
}

before=$(pushed "$WORK/recv")
rm -f "$WORK/recv/tls_failures"
# Not trusted: the system's store does not know the throwaway CA.
run untrusted "$url"
expect_refused untrusted "$WORK/recv" 'certificate' server
rm -f "$WORK/recv/tls_failures"
# Another CA given: CPROF_PUSH_CACERT is the trust, not a way around it.
run otherca "$url" CPROF_PUSH_CACERT="$pki/other.pem"
expect_refused otherca "$WORK/recv" 'certificate' server
[ "$(pushed "$WORK/recv")" = "$before" ] || fail "a profile went to an untrusted receiver"

# The trusted CA's certificate for another name: the host name is checked.
start_receiver "$WORK/recv2" --tls-cert "$pki/wrongname.pem" --tls-key "$pki/wrongname.key"
url=https://127.0.0.1:$RECV_PORT
run wrongname "$url" CPROF_PUSH_CACERT="$pki/ca.pem"
expect_refused wrongname "$WORK/recv2" 'name|match'
[ "$(pushed "$WORK/recv2")" = 0 ] || fail "a profile went to a receiver with another name"

# Bad values: one line, pushing disabled, the program runs.
printf 'not a certificate\n' >"$pki/junk.pem"
for bad in "$pki/missing.pem:cannot read" "$pki/junk.pem:holds no PEM certificate"; do
    run bad "$url" CPROF_PUSH_CACERT="${bad%%:*}"
    [ "$(grep -c '^cprof: CPROF_' "$WORK/bad.err")" = 1 ] &&
        grep -qF "cprof: CPROF_PUSH_CACERT: " "$WORK/bad.err" &&
        grep -qF "${bad#*:}" "$WORK/bad.err" && grep -qF 'pushing disabled' "$WORK/bad.err" ||
        { cat "$WORK/bad.err"; fail "CPROF_PUSH_CACERT=${bad%%:*}: want '${bad#*:}; pushing disabled'"; }
    if grep -q 'pushing profiles\|push to' "$WORK/bad.err"; then cat "$WORK/bad.err"; fail "pushed anyway"; fi
done
