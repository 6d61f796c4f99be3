/* Shared by the architecture layers of real CPUs (sh4a, rv32): the shared RAM and the register
 * block are plain memory-mapped words, and the reservation is the CPU's, not the context's. */
#ifndef IOC_MMIO_H
#define IOC_MMIO_H

#include <stdint.h>

/* A refused write (SLVERR) is a bus-error exception on a real CPU, not an answer the library
 * sees: there is no ioc_arch_try_store, and the library never makes a write that can be
 * refused (ioc.h, IOC_HWFIFO). */
#define IOC_ARCH_TRY_STORE 0

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
