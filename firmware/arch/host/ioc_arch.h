/* Host shim of the IOC library's architecture layer: portable GCC/Clang atomics, so the shared
 * C runs in unit tests on the build machine. LL/SC is emulated with a compare-and-swap on the
 * value the LL saw (like QEMU's movco.l): fine for exercising the protocol, but no ABA oracle;
 * ABA-freedom is checked on the RTL, whose monitor watches writes, not values. */
#ifndef IOC_ARCH_H
#define IOC_ARCH_H

#include <stdint.h>

/* The reservation of one execution context (one struct ioc_port per thread). */
struct ioc_arch {
    uintptr_t resv_addr;
    uint32_t resv_value;
    uint32_t resv_valid;
};

static inline uint32_t ioc_arch_load(struct ioc_arch *a, uintptr_t addr)
{
    (void)a;
    return __atomic_load_n((uint32_t *)addr, __ATOMIC_RELAXED);
}

static inline void ioc_arch_store(struct ioc_arch *a, uintptr_t addr, uint32_t value)
{
    (void)a;
    __atomic_store_n((uint32_t *)addr, value, __ATOMIC_RELAXED);
}

static inline uint32_t ioc_arch_ll(struct ioc_arch *a, uintptr_t addr)
{
    a->resv_addr = addr;
    a->resv_value = __atomic_load_n((uint32_t *)addr, __ATOMIC_ACQUIRE);
    a->resv_valid = 1;
    return a->resv_value;
}

/* Returns 1 if stored; the reservation is gone either way. */
static inline int ioc_arch_sc(struct ioc_arch *a, uintptr_t addr, uint32_t value)
{
    uint32_t expected = a->resv_value;
    int ok = a->resv_valid && a->resv_addr == addr
             && __atomic_compare_exchange_n((uint32_t *)addr, &expected, value, 0,
                                            __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
    a->resv_valid = 0;
    return ok;
}

/* Full barrier: orders every earlier access before every later one. */
static inline void ioc_arch_mb(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Spin hint while waiting for another context. */
static inline void ioc_arch_pause(struct ioc_arch *a)
{
    (void)a;
}

#endif /* IOC_ARCH_H */
