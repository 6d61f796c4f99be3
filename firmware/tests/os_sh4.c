/* SH-4A Linux user space without a C library: raw system calls (trapa, r3 = number, arguments
 * in r4-r7 then r0, result in r0) and clone() for threads. Debian's SH-4 C library does not
 * start under qemu-sh4, so the stress is freestanding. */
#include <stdint.h>

#include "os.h"

enum { NR_EXIT = 1, NR_WRITE = 4, NR_SCHED_YIELD = 158, NR_EXIT_GROUP = 252 };

static long syscall3(long nr, long a, long b, long c)
{
    register long r3 __asm__("r3") = nr;
    register long r4 __asm__("r4") = a;
    register long r5 __asm__("r5") = b;
    register long r6 __asm__("r6") = c;
    register long r0 __asm__("r0");
    /* the or r0,r0 pad is what the C library puts after trapa (an SH-3 errata) */
    __asm__ volatile("trapa #0x13\n\tor r0,r0\n\tor r0,r0\n\tor r0,r0"
                     : "=z"(r0) : "r"(r3), "r"(r4), "r"(r5), "r"(r6) : "memory", "t");
    return r0;
}

/* long clone_thread(flags, stack_top, fn, arg): the child runs fn(arg) on the new stack, then
 * exits (the thread only, not the process). fn and arg travel on the child's stack, since
 * the child comes back from the system call with nothing else of the parent's frame. */
long clone_thread(unsigned long flags, void *stack_top, void (*fn)(void *), void *arg);
__asm__(".text\n"
        ".global clone_thread\n"
        "clone_thread:\n"
        "    add #-8, r5\n"
        "    mov.l r6, @r5\n"
        "    mov.l r7, @(4, r5)\n"
        "    mov #0, r6\n"      /* parent_tid */
        "    mov #0, r7\n"      /* child_tid */
        "    mov #0, r0\n"      /* tls */
        "    mov #120, r3\n"    /* __NR_clone */
        "    trapa #0x15\n"
        "    or r0, r0\n"
        "    tst r0, r0\n"
        "    bt 1f\n"
        "    rts\n"
        "    nop\n"
        "1:  mov.l @r15, r1\n"
        "    mov.l @(4, r15), r4\n"
        "    jsr @r1\n"
        "    nop\n"
        "    mov #0, r4\n"
        "    mov #1, r3\n"      /* __NR_exit */
        "    trapa #0x11\n"
        "2:  bra 2b\n"
        "    nop\n");

int os_spawn(void (*fn)(void *), void *arg, void *stack, size_t size)
{
    /* CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM */
    const unsigned long flags = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000;
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)7;
    return clone_thread(flags, (void *)top, fn, arg) < 0 ? -1 : 0;
}

void os_yield(void)
{
    syscall3(NR_SCHED_YIELD, 0, 0, 0);
}

void os_write(const char *text, size_t length)
{
    syscall3(NR_WRITE, 1, (long)text, (long)length);
}

void _start(void) __attribute__((noreturn));

void _start(void)
{
    int status = test_main();
    for (;;)
        syscall3(NR_EXIT_GROUP, status, 0, 0);
}
