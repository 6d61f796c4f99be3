/* RV32A architecture layer of the IOC library: lr.w/sc.w and fence. The lock-free enqueue
 * loads a sequence number between the lr.w and the sc.w, which leaves the RISC-V constrained
 * LR/SC loop (no architectural forward-progress guarantee); the IOC's own monitor states its
 * bound instead (SPEC 3.3). */
#ifndef IOC_ARCH_H
#define IOC_ARCH_H

#include <stdint.h>

#include "../ioc_mmio.h"

static inline uint32_t ioc_arch_ll(struct ioc_arch *a, uintptr_t addr)
{
    uint32_t value;
    (void)a;
    __asm__ volatile("lr.w %0, (%1)" : "=r"(value) : "r"(addr) : "memory");
    return value;
}

static inline int ioc_arch_sc(struct ioc_arch *a, uintptr_t addr, uint32_t value)
{
    uint32_t failed;
    (void)a;
    __asm__ volatile("sc.w %0, %2, (%1)" : "=&r"(failed) : "r"(addr), "r"(value) : "memory");
    return failed == 0;
}

static inline void ioc_arch_mb(void)
{
    __asm__ volatile("fence rw, rw" ::: "memory");
}

static inline void ioc_arch_pause(struct ioc_arch *a)
{
    (void)a;
    __asm__ volatile("nop" ::: "memory");
}

#endif /* IOC_ARCH_H */
