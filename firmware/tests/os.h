/* The few operating-system services the ring stress needs: os_linux.c (Linux without a C
 * library, under qemu-sh4 and qemu-riscv32; its system calls in os_sh4.c, os_rv32.c) and
 * os_host.c (POSIX threads). */
#ifndef IOC_TEST_OS_H
#define IOC_TEST_OS_H

#include <stddef.h>

/* Start fn(arg) in a new thread sharing memory, on stack [stack, stack + size); 0 or -1. */
int os_spawn(void (*fn)(void *), void *arg, void *stack, size_t size);
void os_yield(void);
void os_write(const char *text, size_t length);
/* The test program's entry point (stress.c, sh4_treg_combine.c), called by the target's
 * start-up; its result is the exit status. */
int test_main(void);

#endif
