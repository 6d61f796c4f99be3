/* The Linux system calls of the freestanding test programs (os_linux.c), one file per target:
 * os_sh4.c (trapa) and os_rv32.c (ecall). Neither Debian's SH-4 C library (it does not start
 * under qemu-sh4) nor the bare-metal RV32 toolchain's gives them a C library to call. */
#ifndef IOC_TEST_LINUX_H
#define IOC_TEST_LINUX_H

/* The target's numbers of the system calls os_linux.c makes. */
struct linux_nr {
    long write, sched_yield, exit_group;
};
extern const struct linux_nr LINUX_NR;

long linux_syscall3(long nr, long a, long b, long c);
/* clone(flags, stack_top): the child runs fn(arg) on the new stack, then exits (the thread
 * only, not the process); the parent gets the child's id, or a negative error. */
long clone_thread(unsigned long flags, void *stack_top, void (*fn)(void *), void *arg);

#endif
