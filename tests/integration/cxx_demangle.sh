# A C++ program under the preload: operator new is sampled through the
# interposed malloc, and the profile names C++ functions demangled
# (namespaces, classes, templates), with file:line.
source "$(dirname "$0")/lib/common.sh"
cat >"$WORK/sites.cc" <<'CXX'
#include <cstdio>
#include <memory>
#include <unistd.h>
#include <vector>
namespace shop {
template <typename T> struct Basket {
    __attribute__((noinline)) static T *fill(size_t n) { return new T[n]; } // FILL_LINE
};
struct Order {
    char payload[1024];
};
} // namespace shop
int main() {
    std::vector<shop::Order *> keep;
    for (int i = 0; i < 16384; i++)
        keep.push_back(shop::Basket<shop::Order>::fill(2)); // 32 MiB live
    std::puts("ready");
    std::fflush(stdout);
    char c;
    while (read(0, &c, 1) > 0) {
    }
    for (auto *o : keep)
        delete[] o;
    return 0;
}
CXX
g++ -std=c++17 -O0 -g "$WORK/sites.cc" -o "$WORK/sites" || fail "g++"
line=$(grep -n FILL_LINE "$WORK/sites.cc" | cut -d: -f1)
CPROF_HEAP_RATE=4096 start_preloaded cxx "$WORK/sites"
wait_for_line cxx ready
curl -sf -o "$WORK/heap.pb" "$BASE/heap" || fail "GET heap"
pprof_clean -top -lines -unit=B -sample_index=inuse_space "$WORK/heap.pb" >"$WORK/top.txt"
cat "$WORK/top.txt"
# pprof shortens C++ names for display (shop::Basket::fill); the profile
# itself carries the full demangled name, as -raw shows.
grep -qE "shop::Basket::fill .*sites.cc:$line" "$WORK/top.txt" || fail "fill at sites.cc:$line not on top"
pprof_clean -raw "$WORK/heap.pb" >"$WORK/raw.txt"
grep -qF 'shop::Basket<shop::Order>::fill(unsigned long)' "$WORK/raw.txt" ||
    fail "the profile lacks the full demangled name"
grep -q '_ZN4shop' "$WORK/raw.txt" && fail "a mangled name leaked into the profile"
grep -q "operator new" "$WORK/top.txt" || fail "operator new not in the profile"
finish_app || fail "C++ program exited $?"
