#!/bin/sh
# Install the Debian packages cprof needs to build, test and run its demo.
# Idempotent and quiet when everything is present; run as root on a fresh
# Debian 12 (both README commands call it). Non-root with packages missing:
# prints what to install and fails.
set -eu

# Tests need, besides the build: bc (cpu_accuracy), iproute2's ss (the daemon
# tests), redis, graphviz, go, chromium and node (see the test scripts);
# postgresql, memcached, a JDK and ab from apache2-utils (real_servers.sh,
# procs_nginx.sh); libdebuginfod1, which libdwfl loads for cprof -debuginfod
# (symbolize_off.sh); prometheus (with promtool) for metrics_prometheus.sh;
# python3-yaml for scraping_docs.sh (the documented scrape configurations).
# libgoogle-perftools-dev (libtcmalloc, libprofiler) and libjemalloc2 write the
# foreign profiles of cprof_formats*.sh. binutils (objdump, nm): cprof -disasm
# and -weblist (cprof_disasm.sh; build-essential pulls it in, named anyway).
PACKAGES="build-essential binutils pkg-config libmicrohttpd-dev zlib1g-dev libdw-dev libelf-dev libdebuginfod1
libunwind-dev libcmocka-dev golang-go curl libcurl4-openssl-dev python3 git clang openssl
libevent-dev libedit-dev
libclang-rt-14-dev libhiredis-dev redis-server graphviz time
libgoogle-perftools-dev libjemalloc2 linux-perf
chromium xxd bc iproute2 nginx
postgresql memcached default-jdk-headless apache2-utils
prometheus python3-yaml"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
# Node.js and npm (the web UI's browser test): Debian's, unless some other
# build of node (which bundles npm) is already there.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    missing="$missing nodejs npm"
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing Debian packages:$missing (run this script as root)" >&2
    exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
