# make install PREFIX=DIR puts the library (with soname), the header and the
# pkg-config file under DIR, and a program builds and runs against them.
source "$(dirname "$0")/lib/common.sh"
prefix=$WORK/prefix
make -s -C "$ROOT" install PREFIX="$prefix" >/dev/null || fail "make install"
for f in lib/libcprof.so lib/libcprof.so.0 include/cprof.h lib/pkgconfig/cprof.pc; do
    [ -e "$prefix/$f" ] || fail "missing $f"
done
soname=$(objdump -p "$prefix/lib/libcprof.so" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = libcprof.so.0 ] || fail "soname is '$soname'"
# only the public API (cprof_*), the malloc family, pthread_create (threads profile), fork (a
# forked child's socket), close, close_range, closefrom, dup2, dup3 (cprof's descriptors outlive a
# program's close-all), the blocking calls a thread dump must not interrupt
# (lib/threads/threads_blocking.c), sigprocmask and pthread_sigmask (a forked child's mask,
# followed there) and the lock functions the mutex and block profiles time
# (lib/contention/contention_hooks.c) are exported
exported=$(nm -D --defined-only "$prefix/lib/libcprof.so" | awk '$2 == "T" || $2 == "W" {print $3}' | sort | tr '\n' ' ')
want="__poll_chk __ppoll_chk __recv_chk __recvfrom_chk accept accept4 aligned_alloc calloc clock_nanosleep close close_range closefrom cprof_cpu_start cprof_cpu_stop cprof_event cprof_handle cprof_handle_async cprof_http_address cprof_label_clear cprof_label_set cprof_response_free cprof_span_begin cprof_span_end cprof_start cprof_stop dup2 dup3 epoll_pwait epoll_wait fork free malloc malloc_usable_size memalign msgrcv msgsnd nanosleep pause poll posix_memalign ppoll pselect pthread_barrier_wait pthread_cond_timedwait pthread_cond_wait pthread_create pthread_join pthread_mutex_lock pthread_mutex_timedlock pthread_rwlock_rdlock pthread_rwlock_timedrdlock pthread_rwlock_timedwrlock pthread_rwlock_wrlock pthread_sigmask pvalloc realloc reallocarray recv recvfrom recvmsg select sem_timedwait sem_wait semop semtimedop sigprocmask sigsuspend sigtimedwait sigwait sigwaitinfo sleep usleep valloc "
[ "$exported" = "$want" ] || fail "exported symbols: $exported"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cat >"$WORK/app.c" <<'C'
#include <cprof.h>
#include <stdio.h>
#include <stdlib.h>
int main(void) {
    cprof_config c = {.http_addr = "off"};
    if (cprof_start(&c) != 0) return 1;
    free(malloc(100));
    cprof_stop();
    puts(CPROF_VERSION);
    return 0;
}
C
cc "$WORK/app.c" -o "$WORK/app" $(pkg-config --cflags --libs cprof) -Wl,-rpath,"$prefix/lib" ||
    fail "build against the installed library"
[ "$("$WORK/app")" = "$(pkg-config --modversion cprof)" ] || fail "app run / version mismatch"
