# A double-fork daemon under the preload with TLS and port 0: the daemon's
# own listener speaks HTTPS with the certificate the library started with.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/daemon.sh"

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" >/dev/null 2>&1 || fail "openssl"
start_daemon 127.0.0.1:0 CPROF_TLS_CERT="$WORK/cert.pem" CPROF_TLS_KEY="$WORK/key.pem"
wait_serving
case $DAEMON_URL in https://127.0.0.1:*/debug/pprof/) ;; *) fail "not HTTPS: $DAEMON_URL" ;; esac
curl -sf --cacert "$WORK/cert.pem" "${DAEMON_URL}cmdline" | tr '\0' ' ' | grep -q daemonize ||
    fail "the daemon's HTTPS endpoint does not answer with its cmdline"
stop_daemon
