# The same sites at the default rate (512 KiB), with volumes large enough
# that ±10 % is >= 4.5 standard deviations (>= 2048 expected samples per
# site): 1 GiB live in 4 KiB blocks, 1 GiB live in 64-byte blocks, 2 GiB
# allocated and freed.
source "$(dirname "$0")/lib/common.sh"
source "$(dirname "$0")/lib/heap_sites.sh"
export CPROF_SEED=11
check_heap_sites 1024 1024 2048
