/* SH-4A Linux system calls without a C library (linux.h): trapa, r3 = number, arguments in
 * r4-r7 then r0, result in r0. */
#include "linux.h"

const struct linux_nr LINUX_NR = {.write = 4, .sched_yield = 158, .exit_group = 252};

long linux_syscall3(long nr, long a, long b, long c)
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

/* fn and arg travel on the child's stack: the child comes back from the system call with
 * nothing else of the parent's frame. */
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
