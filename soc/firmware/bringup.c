/* Bring-up scenario of the SoC: one program, both cores (dispatch on the hart id).
 *
 * 1. LR/SC: both cores add 1 to one shared word INCS times each, concurrently, with lr.w/sc.w;
 *    the final count must be exactly 2*INCS (no lost update). The loops are bounded by success,
 *    not by fairness: when one core starves while the other runs, it finishes afterwards (an
 *    increment failing STUCK times in a row gives up and fails the run).
 * 2. Interrupts: the Linux-role core rings channel 0's doorbell IRQS times, each after the
 *    previous one was acknowledged (TX_PENDING clear); the SimpleOS-role core counts and
 *    acknowledges them in its C interrupt handler. The latency from the doorbell write to the
 *    handler's first register read is measured on the IOC cycle counter (one counter, read by
 *    both cores).
 * 3. The Linux-role core restarts the other through AGENT_CTRL; the SimpleOS-role core counts its
 *    boots in .noinit and, on its second boot, issues an amoadd.w, which the bridge must answer
 *    with a bus error (the core takes an NMI) without changing the word.
 * 4. A trap clears the core's reservation (resv_clear): on its second boot the SimpleOS-role core
 *    does lr.w; sc.w (must succeed) and lr.w; ecall; sc.w (must fail, cause PREEMPTED).
 * 5. Loads from an address no SoC target decodes, and from the IOC window where the subsystem
 *    answers DECERR, come back as bus errors (load-fault NMIs); the unprivileged SimpleOS-role
 *    core's attempt to reset the Linux-role core through AGENT_CTRL is refused (SLVERR: a
 *    store-fault NMI) and changes nothing.
 * The Linux-role core checks every result, prints them as key=value pairs and exits 0 on success.
 */
#include <stdint.h>

#include "soc.h"

#ifndef INCS
#define INCS 100
#endif
#ifndef IRQS
#define IRQS 4
#endif
/* Polling bound of every wait, so that a broken SoC fails instead of hanging. */
#define WAIT_LIMIT 200000u

/* Shared-RAM words of the scenario. */
enum { COUNTER, GO, DONE1, IRQ_COUNT, BOOTS, AMO_WORD, AMO_TRAPS, RESV, RESV_PLAIN, RESV_TRAP,
       RESV_CAUSE, RESV_DONE, IRQ_ENTRY, UNMAPPED_CAUSE, DECERR_CAUSE, PRIV_CAUSE };

/* Bus-error NMIs of the load/store unit (mcause exception codes 1024 = load, 1025 = store). */
#define MCAUSE_IRQ 0x80000000u
#define NMI_LOAD_FAULT 1024u
#define NMI_STORE_FAULT 1025u
/* Decoded by no SoC target; and inside the IOC window, but outside its shared RAM and registers. */
#define UNMAPPED_ADDR 0xA0000000u
#define IOC_UNMAPPED_ADDR 0x00020000u
#define EXTERNAL_IRQ 11u
#define ECALL_FROM_M 11u

uint32_t soc_amoadd(volatile uint32_t *p, uint32_t v);

static uint32_t boots __attribute__((section(".noinit")));
static volatile uint32_t irq_count;
static volatile uint32_t last_nmi_cause;

uint32_t soc_trap(uint32_t mcause, uint32_t mepc) {
    if (mcause == (MCAUSE_IRQ | EXTERNAL_IRQ)) {
        SOC_SHM[IRQ_ENTRY] = SOC_REG(IOC_CYCLE_LO_OFFSET);
        uint32_t status = SOC_REG(IOC_CH_STATUS_OFFSET);
        SOC_REG(IOC_CH_PENDING_OFFSET) = status; /* write-1-to-clear: the ack */
        irq_count += 1;
        SOC_SHM[IRQ_COUNT] = irq_count;
        return mepc;
    }
    if (mcause & MCAUSE_IRQ) { /* an NMI: imprecise, resume where it was taken */
        last_nmi_cause = mcause & ~MCAUSE_IRQ;
        return mepc;
    }
    if (mcause == ECALL_FROM_M) return mepc + 4u;
    soc_puts("unexpected trap ");
    soc_kv("mcause", mcause);
    soc_kv("mepc", mepc);
    soc_putc('\n');
    *(volatile uint32_t *)SOC_MMIO_EXIT = 0xdead;
    for (;;) {
    }
}

/* Set when an increment failed STUCK times in a row: a core whose sc.w can never succeed (the
 * pinned core with only the sc.w result fix) reports it instead of spinning until the limit. */
#define STUCK 20000u
static uint32_t stuck;

static uint32_t increment(uint32_t times) {
    uint32_t failures = 0;
    for (uint32_t i = 0; i < times; i++) {
        for (uint32_t run = 0;; run++) {
            if (run == STUCK) {
                stuck = 1u;
                return failures;
            }
            uint32_t v = soc_lr(&SOC_SHM[COUNTER]);
            if (soc_sc(&SOC_SHM[COUNTER], v + 1u) == 0u) break;
            failures++;
        }
    }
    return failures;
}

/* A bus error is an imprecise NMI on this core: it is taken some instructions after the access,
 * so wait for it (bounded), and consume it. */
static uint32_t next_nmi(void) {
    for (uint32_t i = 0; i < WAIT_LIMIT && last_nmi_cause == 0u; i++) {
    }
    uint32_t cause = last_nmi_cause;
    last_nmi_cause = 0u;
    return cause;
}

static int wait_for(uint32_t word, uint32_t value) {
    for (uint32_t i = 0; i < WAIT_LIMIT; i++) {
        if (SOC_SHM[word] == value) return 1;
    }
    soc_puts("timeout ");
    soc_kv("word", word);
    soc_kv("want", value);
    soc_kv("have", SOC_SHM[word]);
    soc_putc('\n');
    return 0;
}

static int simpleos(void) {
    boots += 1;
    SOC_SHM[BOOTS] = boots;
    soc_puts("simpleos boot ");
    soc_kv("boots", boots);
    soc_putc('\n');
    if (boots == 1u) {
        SOC_REG(IOC_CH_ENABLE_OFFSET) = 1u << 0;
        soc_enable_external_irq();
        if (!wait_for(GO, 1u)) return 1;
        uint32_t failures = increment(INCS);
        soc_puts("simpleos ");
        soc_kv("sw_sc_fail", failures);
        soc_putc('\n');
        SOC_SHM[DONE1] = 1u;
    } else {
        SOC_SHM[AMO_WORD] = 7u;
        soc_amoadd(&SOC_SHM[AMO_WORD], 1u);
        SOC_SHM[AMO_TRAPS] = next_nmi();
        (void)*(volatile uint32_t *)UNMAPPED_ADDR;
        SOC_SHM[UNMAPPED_CAUSE] = next_nmi();
        (void)*(volatile uint32_t *)IOC_UNMAPPED_ADDR;
        SOC_SHM[DECERR_CAUSE] = next_nmi();
        SOC_REG(IOC_AGENT_CTRL_OFFSET(SOC_CORE_LINUX)) = IOC_AGENT_CTRL_RESET_MASK;
        SOC_SHM[PRIV_CAUSE] = next_nmi();
        uint32_t v = soc_lr(&SOC_SHM[RESV]);
        SOC_SHM[RESV_PLAIN] = soc_sc(&SOC_SHM[RESV], v + 1u);
        v = soc_lr(&SOC_SHM[RESV]);
        __asm__ volatile("ecall" ::: "memory");
        SOC_SHM[RESV_TRAP] = soc_sc(&SOC_SHM[RESV], v + 1u);
        SOC_SHM[RESV_CAUSE] = SOC_REG(IOC_SC_CAUSE_OFFSET(1)) & IOC_SC_CAUSE_CAUSE_MASK;
        SOC_SHM[RESV_DONE] = 1u;
    }
    for (;;) __asm__ volatile("wfi");
}

static int linux_role(void) {
    int ok = 1;
    soc_puts("linux up\n");
    SOC_REG(IOC_CH_CFG_OFFSET(0)) = (0u << IOC_CH_CFG_EP_A_SHIFT) |
                                    (1u << IOC_CH_CFG_EP_B_SHIFT) | IOC_CH_CFG_ENABLE_MASK;
    if (!wait_for(BOOTS, 1u)) return 1;
    SOC_SHM[GO] = 1u;
    uint32_t failures = increment(INCS);
    ok &= wait_for(DONE1, 1u);
    uint32_t counter = SOC_SHM[COUNTER];
    ok &= counter == 2u * INCS && !stuck;

    uint32_t latency_min = UINT32_MAX, latency_max = 0;
    for (uint32_t i = 0; i < IRQS; i++) {
        uint32_t rung = SOC_REG(IOC_CYCLE_LO_OFFSET);
        SOC_REG(IOC_DOORBELL_OFFSET) = 0u;
        if (!wait_for(IRQ_COUNT, i + 1u)) {
            ok = 0;
            break;
        }
        uint32_t latency = SOC_SHM[IRQ_ENTRY] - rung;
        latency_min = latency < latency_min ? latency : latency_min;
        latency_max = latency > latency_max ? latency : latency_max;
    }
    ok &= wait_for(IRQ_COUNT, IRQS);

    uint32_t sc_fail0 = SOC_REG(IOC_SC_FAIL_COUNT_OFFSET(0));
    uint32_t sc_fail1 = SOC_REG(IOC_SC_FAIL_COUNT_OFFSET(1));
    uint32_t sc_ok0 = SOC_REG(IOC_SC_OK_COUNT_OFFSET(0));
    uint32_t sc_ok1 = SOC_REG(IOC_SC_OK_COUNT_OFFSET(1));

    uint32_t epoch = SOC_REG(IOC_EPOCH_OFFSET(0));
    SOC_REG(IOC_AGENT_CTRL_OFFSET(1)) = IOC_AGENT_CTRL_RESET_MASK;
    ok &= wait_for(BOOTS, 2u);
    ok &= wait_for(AMO_TRAPS, NMI_STORE_FAULT);
    ok &= wait_for(RESV_DONE, 1u);
    ok &= SOC_SHM[RESV_PLAIN] == 0u && SOC_SHM[RESV_TRAP] == 1u && SOC_SHM[RESV] == 1u;
    ok &= SOC_SHM[RESV_CAUSE] == IOC_SC_FAIL_CAUSE_PREEMPTED;
    ok &= SOC_SHM[UNMAPPED_CAUSE] == NMI_LOAD_FAULT && SOC_SHM[DECERR_CAUSE] == NMI_LOAD_FAULT;
    ok &= wait_for(PRIV_CAUSE, NMI_STORE_FAULT);
    uint32_t epoch_after = SOC_REG(IOC_EPOCH_OFFSET(0));
    ok &= epoch_after == epoch + 1u;
    ok &= SOC_SHM[AMO_WORD] == 7u;

    soc_puts("result ");
    soc_kv("incs", INCS);
    soc_kv("counter", counter);
    soc_kv("expected", 2u * INCS);
    soc_kv("sw_sc_fail", failures);
    soc_kv("stuck", stuck);
    soc_kv("sc_fail0", sc_fail0);
    soc_kv("sc_fail1", sc_fail1);
    soc_kv("sc_ok0", sc_ok0);
    soc_kv("sc_ok1", sc_ok1);
    soc_kv("irqs", SOC_SHM[IRQ_COUNT]);
    soc_kv("irqs_expected", IRQS);
    soc_kv("irq_latency_min", latency_min);
    soc_kv("irq_latency_max", latency_max);
    soc_kv("boots", SOC_SHM[BOOTS]);
    soc_kv("epoch", epoch_after);
    soc_kv("amo_cause", SOC_SHM[AMO_TRAPS]);
    soc_kv("amo_word", SOC_SHM[AMO_WORD]);
    soc_kv("sc_plain_fail", SOC_SHM[RESV_PLAIN]);
    soc_kv("sc_after_trap_fail", SOC_SHM[RESV_TRAP]);
    soc_kv("sc_after_trap_cause", SOC_SHM[RESV_CAUSE]);
    soc_kv("unmapped_cause", SOC_SHM[UNMAPPED_CAUSE]);
    soc_kv("decerr_cause", SOC_SHM[DECERR_CAUSE]);
    soc_kv("priv_cause", SOC_SHM[PRIV_CAUSE]);
    soc_putc('\n');
    soc_puts(ok ? "PASS\n" : "FAIL\n");
    return ok ? 0 : 1;
}

int main(uint32_t hartid) {
    return hartid == SOC_CORE_LINUX ? linux_role() : simpleos();
}
