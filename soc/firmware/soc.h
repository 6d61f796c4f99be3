/* What a program on the SoC needs: console, exit, IOC registers and shared RAM, RV32A LL/SC.
 * Addresses come from the generated soc_map.h and ioc_regs.h. */
#ifndef SOC_H
#define SOC_H

#include <stdint.h>

#include "ioc_regs.h"
#include "soc_map.h"

#define SOC_REG(offset) (*(volatile uint32_t *)(SOC_IOC_REG_BASE + (offset)))
#define SOC_SHM ((volatile uint32_t *)SOC_SHM_BASE)

static inline void soc_putc(char c) { *(volatile uint32_t *)SOC_MMIO_CONSOLE = (uint8_t)c; }

static inline void soc_puts(const char *s) {
    while (*s) soc_putc(*s++);
}

static inline void soc_putu(uint32_t v) {
    char buf[11];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n) soc_putc(buf[--n]);
}

/* "key=value " pairs on the console are what the runner (soc.run) parses. */
static inline void soc_kv(const char *key, uint32_t value) {
    soc_puts(key);
    soc_putc('=');
    soc_putu(value);
    soc_putc(' ');
}

/* lr.w: load and reserve (an AXI exclusive read through the bridge). */
static inline uint32_t soc_lr(volatile uint32_t *p) {
    uint32_t v;
    __asm__ volatile("lr.w %0, (%1)" : "=r"(v) : "r"(p) : "memory");
    return v;
}

/* sc.w: store if still reserved (an AXI exclusive write); 0 on success, as RV32A defines. */
static inline uint32_t soc_sc(volatile uint32_t *p, uint32_t v) {
    uint32_t fail;
    __asm__ volatile("sc.w %0, %2, (%1)" : "=&r"(fail) : "r"(p), "r"(v) : "memory");
    return fail;
}

static inline void soc_enable_external_irq(void) {
    __asm__ volatile("csrs mie, %0" : : "r"(1u << 11));
    __asm__ volatile("csrs mstatus, %0" : : "r"(1u << 3));
}

/* Called by crt0 for every trap with mcause and mepc; returns the mepc to resume at. */
uint32_t soc_trap(uint32_t mcause, uint32_t mepc);

#endif
