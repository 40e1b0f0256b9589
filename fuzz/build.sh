#!/bin/sh
# Build a cprof decoder fuzzer with clang's libFuzzer, ASan and UBSan:
#   fuzz/build.sh [OUT [TARGET]]  (default build/fuzz/fuzz_decode; TARGET is
#   fuzz_decode, profile.proto and everything else through profile_parse,
#   or fuzz_legacy, the non-proto formats' readers directly)
# Independent of the Makefile: it compiles the profile layer (tool/profile/
# and the common kit lib/common/) into the target. Run it on the seed corpus:
#   build/fuzz/fuzz_decode -max_total_time=60 fuzz/corpus
#   build/fuzz/fuzz_legacy -max_total_time=60 fuzz/corpus_legacy
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/fuzz/fuzz_decode}
target=${2:-fuzz_decode}
mkdir -p "$(dirname "$out")"
CC=${FUZZ_CC:-clang}
srcs="fuzz/$target.c $(echo tool/profile/*.c lib/common/*.c)"
cd "$root"
# shellcheck disable=SC2086
$CC -std=gnu11 -g -O1 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Itool -Ilib/common \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -fno-omit-frame-pointer -o "$out" $srcs -ldw -lelf -lz -lm
echo "built $out"
