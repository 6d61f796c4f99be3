/* Host shim of the IOC library's architecture layer: portable GCC/Clang atomics, so the shared
 * C runs in unit tests on the build machine. LL/SC is emulated with a compare-and-swap on the
 * value the LL saw (like QEMU's movco.l): fine for exercising the protocol, but no ABA oracle;
 * ABA-freedom is checked on the RTL, whose monitor watches writes, not values.
 *
 * The register window is plain memory unless the context is given a model of the register
 * block (struct ioc_host_regs, e.g. the unit tests' sw_model register block through ctypes):
 * then every access to the window goes to the model, which may refuse it (SLVERR: a refused
 * read returns 0, a refused write changes nothing, and ioc_arch_try_store returns 0). */
#ifndef IOC_ARCH_H
#define IOC_ARCH_H

#include <stdint.h>

#include "ioc_regs.h"

struct ioc_host_regs {
    /* offset into the window; *value is read or written; returns 0 if refused */
    int (*access)(void *ctx, uint32_t offset, int write, uint32_t *value);
    void *ctx;
    uintptr_t base;    /* where the context sees the window */
};

/* The reservation of one execution context (one struct ioc_port per thread). */
struct ioc_arch {
    uintptr_t resv_addr;
    uint32_t resv_value;
    uint32_t resv_valid;
    const struct ioc_host_regs *regs;  /* NULL: the register window is plain memory */
};

static inline int ioc_host_in_regs(const struct ioc_arch *a, uintptr_t addr)
{
    return a->regs && addr - a->regs->base < IOC_REG_SIZE;
}

static inline uint32_t ioc_arch_load(struct ioc_arch *a, uintptr_t addr)
{
    uint32_t value = 0;
    if (ioc_host_in_regs(a, addr)) {
        a->regs->access(a->regs->ctx, (uint32_t)(addr - a->regs->base), 0, &value);
        return value;
    }
    return __atomic_load_n((uint32_t *)addr, __ATOMIC_RELAXED);
}

/* The caller sees a refused write: 1 if it was accepted, 0 if it got SLVERR. */
#define IOC_ARCH_TRY_STORE 1

static inline int ioc_arch_try_store(struct ioc_arch *a, uintptr_t addr, uint32_t value)
{
    if (ioc_host_in_regs(a, addr))
        return a->regs->access(a->regs->ctx, (uint32_t)(addr - a->regs->base), 1, &value);
    __atomic_store_n((uint32_t *)addr, value, __ATOMIC_RELAXED);
    return 1;
}

static inline void ioc_arch_store(struct ioc_arch *a, uintptr_t addr, uint32_t value)
{
    (void)ioc_arch_try_store(a, addr, value);
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
