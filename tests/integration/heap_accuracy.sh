# Known allocation sites sampled at CPROF_HEAP_RATE=4096, where ±10 % is at
# least 6 standard deviations for every site (64 MiB live in 4 KiB blocks,
# 16 MiB live in 64-byte blocks, 1 GiB allocated and freed): see
# lib/heap_sites.sh for what is checked.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/heap_sites.sh"
export CPROF_HEAP_RATE=4096 CPROF_SEED=7
check_heap_sites 64 16 1024
