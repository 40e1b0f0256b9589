#!/bin/sh
# Build the cprof decoder fuzzer with clang's libFuzzer, ASan and UBSan:
#   fuzz/build.sh [OUT]          (default build/fuzz/fuzz_decode)
# Independent of the Makefile: it compiles the decoder's own sources (tool/
# and the wire codec of lib/) into the target. Run it on the seed corpus:
#   build/fuzz/fuzz_decode -max_total_time=60 fuzz/corpus
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/fuzz/fuzz_decode}
mkdir -p "$(dirname "$out")"
CC=${FUZZ_CC:-clang}
srcs="fuzz/fuzz_decode.c tool/arena.c tool/gzip.c tool/htab.c tool/measure.c
tool/profile_decode.c tool/profile_encode.c tool/profile_merge.c tool/profile_ops.c
lib/proto_wire.c lib/buf.c"
cd "$root"
# shellcheck disable=SC2086
$CC -std=gnu11 -g -O1 -D_GNU_SOURCE -Wall -Wextra -Werror -Iinclude -Ilib -Itool \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -fno-omit-frame-pointer -o "$out" $srcs -lz -lm
echo "built $out"
