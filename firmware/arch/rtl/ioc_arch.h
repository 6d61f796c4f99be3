/* Architecture layer of the IOC library for the native RTL harness (firmware/native): every
 * load, store, LL and SC is an AXI transaction on the calling agent's port of the Verilated
 * ioc_subsystem (LL/SC = exclusive read/write). The harness implements the functions; the
 * context's thread may be preempted at each of them. Barriers are no-ops: the subsystem
 * performs one access per cycle in grant order, and each context has one access in flight.
 * A register write may be refused (SLVERR) as an answer, not a fault: ioc_arch_try_store
 * returns whether the harness saw OKAY. */
#ifndef IOC_ARCH_H
#define IOC_ARCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ioc_rtl_ctx;

struct ioc_arch {
    struct ioc_rtl_ctx *ctx;   /* the harness thread this port belongs to */
};

uint32_t ioc_rtl_load(struct ioc_rtl_ctx *ctx, uint32_t addr);
void ioc_rtl_store(struct ioc_rtl_ctx *ctx, uint32_t addr, uint32_t value);
int ioc_rtl_try_store(struct ioc_rtl_ctx *ctx, uint32_t addr, uint32_t value);
uint32_t ioc_rtl_ll(struct ioc_rtl_ctx *ctx, uint32_t addr);
int ioc_rtl_sc(struct ioc_rtl_ctx *ctx, uint32_t addr, uint32_t value);
void ioc_rtl_pause(struct ioc_rtl_ctx *ctx);

static inline uint32_t ioc_arch_load(struct ioc_arch *a, uintptr_t addr)
{
    return ioc_rtl_load(a->ctx, (uint32_t)addr);
}

static inline void ioc_arch_store(struct ioc_arch *a, uintptr_t addr, uint32_t value)
{
    ioc_rtl_store(a->ctx, (uint32_t)addr, value);
}

/* The caller sees a refused write: 1 if it was accepted, 0 if it got SLVERR. */
#define IOC_ARCH_TRY_STORE 1

static inline int ioc_arch_try_store(struct ioc_arch *a, uintptr_t addr, uint32_t value)
{
    return ioc_rtl_try_store(a->ctx, (uint32_t)addr, value);
}

static inline uint32_t ioc_arch_ll(struct ioc_arch *a, uintptr_t addr)
{
    return ioc_rtl_ll(a->ctx, (uint32_t)addr);
}

static inline int ioc_arch_sc(struct ioc_arch *a, uintptr_t addr, uint32_t value)
{
    return ioc_rtl_sc(a->ctx, (uint32_t)addr, value);
}

static inline void ioc_arch_mb(void)
{
}

static inline void ioc_arch_pause(struct ioc_arch *a)
{
    ioc_rtl_pause(a->ctx);
}

#ifdef __cplusplus
}
#endif

#endif /* IOC_ARCH_H */
