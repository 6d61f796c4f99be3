/* RV32 Linux system calls without a C library (linux.h): ecall, a7 = number, arguments in
 * a0-a5, result in a0. */
#include "linux.h"

const struct linux_nr LINUX_NR = {.write = 64, .sched_yield = 124, .exit_group = 94};

long linux_syscall3(long nr, long a, long b, long c)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a7 __asm__("a7") = nr;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

/* fn and arg travel on the child's stack: the child comes back from the system call with
 * nothing else of the parent's frame. */
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
