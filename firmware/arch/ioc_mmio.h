/* Shared by the architecture layers of real CPUs (sh4a, rv32): the shared RAM and the register
 * block are plain memory-mapped words, and the reservation is the CPU's, not the context's. */
#ifndef IOC_MMIO_H
#define IOC_MMIO_H

#include <stdint.h>

struct ioc_arch {
    uint32_t unused;
};

static inline uint32_t ioc_arch_load(struct ioc_arch *a, uintptr_t addr)
{
    (void)a;
    return *(volatile uint32_t *)addr;
}

static inline void ioc_arch_store(struct ioc_arch *a, uintptr_t addr, uint32_t value)
{
    (void)a;
    *(volatile uint32_t *)addr = value;
}

#endif /* IOC_MMIO_H */
