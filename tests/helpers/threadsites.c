/*
 * threadsites — known thread-creation sites for the threadcreate profile.
 * Arguments: A B. create_exiting starts A threads that end at once (each
 * joined before the next), create_waiting starts B threads that wait for
 * stdin to close. Prints "ready" when all are started; when stdin closes,
 * releases and joins the waiting ones and exits 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_WAITING 64

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t released = PTHREAD_COND_INITIALIZER;
static int done;

static void *exit_now(void *arg)
{
    return arg;
}

static void *wait_until_done(void *arg)
{
    pthread_mutex_lock(&lock);
    while (!done)
        pthread_cond_wait(&released, &lock);
    pthread_mutex_unlock(&lock);
    return arg;
}

__attribute__((noinline)) static int create_exiting(int n)
{
    for (int i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, exit_now, NULL) != 0)
            return -1;
        pthread_join(t, NULL);
    }
    return 0;
}

__attribute__((noinline)) static int create_waiting(int n, pthread_t *threads)
{
    for (int i = 0; i < n; i++) {
        if (pthread_create(&threads[i], NULL, wait_until_done, NULL) != 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int a = argc > 1 ? atoi(argv[1]) : 6, b = argc > 2 ? atoi(argv[2]) : 3;
    if (b > MAX_WAITING)
        b = MAX_WAITING;
    pthread_t waiting[MAX_WAITING];
    if (create_exiting(a) != 0 || create_waiting(b, waiting) != 0) {
        fprintf(stderr, "threadsites: pthread_create failed\n");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin))
        ;
    pthread_mutex_lock(&lock);
    done = 1;
    pthread_cond_broadcast(&released);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < b; i++)
        pthread_join(waiting[i], NULL);
    return 0;
}
