/*
 * cpu_stress — the deadlock scenario of signal-based profilers (gperftools
 * #775, #1188, #1583; reference §3): profile at 1000 Hz while other threads
 * dlopen/dlclose a shared library and throw and catch C++ exceptions in a
 * loop, and while threads are born and die (their timers armed and deleted
 * mid-profile). An unwinder that takes the loader lock in the handler
 * deadlocks here sooner or later; ours must finish every time.
 *
 * Usage: cpu_stress PLUGIN.so OUT.prof [CYCLES] [MS_PER_CYCLE]
 * Each cycle is cprof_cpu_start(OUT, 1000) ... cprof_cpu_stop(). Prints
 * "done N dlopens, N throws, N threads" and exits 0.
 */
#include <cprof.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <atomic>
#include <stdexcept>

static std::atomic<int> stop_flag{0};
static std::atomic<long> dlopens{0}, throws{0}, births{0};
static const char *plugin_path;

static void *dl_loop(void *)
{
    while (!stop_flag.load()) {
        void *h = dlopen(plugin_path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            fprintf(stderr, "dlopen: %s\n", dlerror());
            exit(2);
        }
        auto work = (uint64_t(*)(uint64_t))dlsym(h, "plugin_work");
        if (work)
            work(7);
        dlclose(h);
        dlopens++;
    }
    return nullptr;
}

__attribute__((noinline)) static void thrower(int depth)
{
    if (depth == 0)
        throw std::runtime_error("deep");
    thrower(depth - 1);
    __asm__ volatile("");
}

static void *throw_loop(void *)
{
    while (!stop_flag.load()) {
        try {
            thrower(12);
        } catch (const std::exception &) {
            throws++;
        }
    }
    return nullptr;
}

static void *short_life(void *)
{
    volatile uint64_t x = 1;
    for (int i = 0; i < 20000; i++)
        x = x * 3 + 1;
    return nullptr;
}

static void *birth_loop(void *)
{
    while (!stop_flag.load()) {
        pthread_t t;
        if (pthread_create(&t, nullptr, short_life, nullptr) == 0) {
            pthread_join(t, nullptr);
            births++;
        }
    }
    return nullptr;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: cpu_stress PLUGIN.so OUT.prof [CYCLES] [MS_PER_CYCLE]\n");
        return 2;
    }
    plugin_path = argv[1];
    int cycles = argc > 3 ? atoi(argv[3]) : 3;
    int ms = argc > 4 ? atoi(argv[4]) : 300;
    pthread_t workers[5];
    void *(*loops[5])(void *) = {dl_loop, dl_loop, throw_loop, throw_loop, birth_loop};
    for (int i = 0; i < 5; i++)
        pthread_create(&workers[i], nullptr, loops[i], nullptr);
    for (int c = 0; c < cycles; c++) {
        if (cprof_cpu_start(argv[2], 1000) != 0)
            return 1;
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
        nanosleep(&ts, nullptr);
        if (cprof_cpu_stop() != 0)
            return 1;
    }
    /* Keep working a while after the last stop: a stray timer signal now
     * would hit SIGPROF's default action and kill the process. */
    struct timespec after = {0, 200000000};
    nanosleep(&after, nullptr);
    stop_flag = 1;
    for (int i = 0; i < 5; i++)
        pthread_join(workers[i], nullptr);
    printf("done %ld dlopens, %ld throws, %ld threads\n", dlopens.load(), throws.load(),
           births.load());
    return 0;
}
