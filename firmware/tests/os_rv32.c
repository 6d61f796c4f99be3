/* RV32 Linux user space without a C library: raw system calls (ecall, a7 = number, arguments
 * in a0-a5, result in a0) and clone() for threads, so the ring stress runs under qemu-riscv32
 * on real host threads (the bare-metal toolchain has no Linux C library). */
#include <stdint.h>

#include "os.h"

enum { NR_WRITE = 64, NR_EXIT = 93, NR_EXIT_GROUP = 94, NR_SCHED_YIELD = 124 };

static long syscall3(long nr, long a, long b, long c)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a7 __asm__("a7") = nr;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

/* long clone_thread(flags, stack_top, fn, arg): the child runs fn(arg) on the new stack, then
 * exits (the thread only). fn and arg travel on the child's stack, which is all the child has
 * of the parent's state when it returns from the system call. */
long clone_thread(unsigned long flags, void *stack_top, void (*fn)(void *), void *arg);
__asm__(".text\n"
        ".global clone_thread\n"
        "clone_thread:\n"
        "    addi a1, a1, -16\n"
        "    sw a2, 0(a1)\n"
        "    sw a3, 4(a1)\n"
        "    li a2, 0\n"        /* parent_tid */
        "    li a3, 0\n"        /* tls */
        "    li a4, 0\n"        /* child_tid */
        "    li a7, 220\n"      /* __NR_clone */
        "    ecall\n"
        "    beqz a0, 1f\n"
        "    ret\n"
        "1:  lw t0, 0(sp)\n"
        "    lw a0, 4(sp)\n"
        "    jalr t0\n"
        "    li a0, 0\n"
        "    li a7, 93\n"       /* __NR_exit */
        "    ecall\n"
        "2:  j 2b\n");

int os_spawn(void (*fn)(void *), void *arg, void *stack, size_t size)
{
    /* CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM */
    const unsigned long flags = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000;
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
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
