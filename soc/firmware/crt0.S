/* Start-up of a SoC core: stack, global pointer, .bss, trap vector; then main(hartid).
 * A core restarted by agent_rst comes back here; the RAM is not reloaded, so .bss is cleared
 * again and .noinit keeps what the previous run left. */
#include "soc_map.h"

    .section .text.start, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    la sp, __stack_top
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sw zero, 0(t0)
    addi t0, t0, 4
    j 1b
2:  la t0, soc_vectors
    ori t0, t0, 1          /* vectored: interrupt i enters at base + 4*i, exceptions at base */
    csrw mtvec, t0
    csrr a0, mhartid
    call main
    li t0, SOC_MMIO_EXIT
    sw a0, 0(t0)
3:  wfi
    j 3b

/* Every entry (exceptions, the 16 standard interrupts, the NMI at base + 0x3C and the platform
 * interrupts) goes to one handler, which reads mcause. */
    .balign 128
soc_vectors:
    .rept 32
    j soc_trap_entry
    .endr

/* Saves the caller-saved registers and calls soc_trap(mcause, mepc), which returns the mepc to
 * resume at. */
soc_trap_entry:
    addi sp, sp, -64
    sw ra, 0(sp)
    sw t0, 4(sp)
    sw t1, 8(sp)
    sw t2, 12(sp)
    sw a0, 16(sp)
    sw a1, 20(sp)
    sw a2, 24(sp)
    sw a3, 28(sp)
    sw a4, 32(sp)
    sw a5, 36(sp)
    sw a6, 40(sp)
    sw a7, 44(sp)
    sw t3, 48(sp)
    sw t4, 52(sp)
    sw t5, 56(sp)
    sw t6, 60(sp)
    csrr a0, mcause
    csrr a1, mepc
    call soc_trap
    csrw mepc, a0
    lw ra, 0(sp)
    lw t0, 4(sp)
    lw t1, 8(sp)
    lw t2, 12(sp)
    lw a0, 16(sp)
    lw a1, 20(sp)
    lw a2, 24(sp)
    lw a3, 28(sp)
    lw a4, 32(sp)
    lw a5, 36(sp)
    lw a6, 40(sp)
    lw a7, 44(sp)
    lw t3, 48(sp)
    lw t4, 52(sp)
    lw t5, 56(sp)
    lw t6, 60(sp)
    addi sp, sp, 64
    mret
