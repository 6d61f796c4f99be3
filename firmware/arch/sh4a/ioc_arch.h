/* SH-4A architecture layer of the IOC library: movli.l/movco.l (the paper's LL/SC pair) and
 * synco. movli.l loads into r0 and sets LDST; movco.l stores r0 only if LDST is still set and
 * copies LDST to T; accepting an interrupt or exception clears LDST. */
#ifndef IOC_ARCH_H
#define IOC_ARCH_H

#include <stdint.h>

#include "../ioc_mmio.h"

static inline uint32_t ioc_arch_ll(struct ioc_arch *a, uintptr_t addr)
{
    uint32_t value;
    (void)a;
    /* "z": movli.l can only load into r0 */
    __asm__ volatile("movli.l @%1, %0" : "=z"(value) : "r"(addr) : "memory");
    return value;
}

static inline int ioc_arch_sc(struct ioc_arch *a, uintptr_t addr, uint32_t value)
{
    int stored;
    (void)a;
    __asm__ volatile("movco.l %1, @%2\n\tmovt %0"
                     : "=r"(stored) : "z"(value), "r"(addr) : "t", "memory");
    return stored;
}

static inline void ioc_arch_mb(void)
{
    __asm__ volatile("synco" ::: "memory");
}

static inline void ioc_arch_pause(struct ioc_arch *a)
{
    (void)a;
    __asm__ volatile("nop" ::: "memory");
}

#endif /* IOC_ARCH_H */
