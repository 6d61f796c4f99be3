/* The ring stress's OS layer on Linux without a C library (qemu-sh4, qemu-riscv32): threads by
 * clone(), the start-up, and what GCC may call even in freestanding code. The system calls
 * themselves are the target's (linux.h). */
#include <stdint.h>

#include "linux.h"
#include "os.h"

int os_spawn(void (*fn)(void *), void *arg, void *stack, size_t size)
{
    /* CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM */
    const unsigned long flags = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000;
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;  /* RV32 wants 16 */
    return clone_thread(flags, (void *)top, fn, arg) < 0 ? -1 : 0;
}

void os_yield(void)
{
    linux_syscall3(LINUX_NR.sched_yield, 0, 0, 0);
}

void os_write(const char *text, size_t length)
{
    linux_syscall3(LINUX_NR.write, 1, (long)text, (long)length);
}

void _start(void) __attribute__((noreturn));

void _start(void)
{
    int status = test_main();
    for (;;)
        linux_syscall3(LINUX_NR.exit_group, status, 0, 0);
}

/* Structure copies and clears. */
void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}
