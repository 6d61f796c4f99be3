/* The ring stress's OS layer on the build machine: POSIX threads. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "os.h"

struct start {
    void (*fn)(void *);
    void *arg;
};

static void *trampoline(void *p)
{
    struct start *s = p;
    s->fn(s->arg);
    return NULL;
}

int os_spawn(void (*fn)(void *), void *arg, void *stack, size_t size)
{
    /* the caller's stack carries the start record; the thread gets a stack of its own */
    struct start *s = stack;
    pthread_t t;
    (void)size;
    s->fn = fn;
    s->arg = arg;
    if (pthread_create(&t, NULL, trampoline, s))
        return -1;
    return pthread_detach(t) ? -1 : 0;
}

void os_yield(void)
{
    sched_yield();
}

void os_write(const char *text, size_t length)
{
    if (write(1, text, length) < 0)
        return;
}

int main(void)
{
    return test_main();
}
