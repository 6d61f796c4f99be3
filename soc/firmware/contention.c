/* Scenario (d): lockstep LL/SC contention between the two cores.
 *
 * 1. Both cores add 1 to one shared word INCS times each in a tight lr.w/sc.w loop (the IOC
 *    library's RV32 architecture layer, ioc_arch_ll/ioc_arch_sc); the count must be exactly
 *    2 * INCS (no lost update).
 * 2. Both cores enqueue MSGS messages each into one lock-free ring (channel 0, A -> B: both
 *    bound as endpoint-A producers) in a tight loop; core 0 also consumes the ring between its
 *    sends and checks both streams exactly-once and in order.
 * Each phase starts on a shared go word, so the cores contend from the first iteration. The
 * SC failures of each core are the monitor's counters (read before and after each phase) and
 * the loops' own counts, reported with each core's longest run of failed SCs in phase 1: with
 * the forward-progress window on (SPEC 3.3) no run is longer than 1 (n_agents - 1), which the
 * Python test asserts; with it off, at SKEW 3, one is 2 long (the negative control). */
#include "scen.h"

#ifndef INCS
#define INCS 500u
#endif
#ifndef MSGS
#define MSGS 100u
#endif
/* Loop iterations core 1 waits after each go word: the phase of the two loops. */
#ifndef SKEW
#define SKEW 0u
#endif

enum { SCR_COUNTER = SCR_FIRST_FREE, SCR_GO_INC, SCR_DONE_INC, SCR_GO_ENQ, SCR_DONE_ENQ,
       SCR_SW_FAIL_INC1, SCR_WORST_INC1, SCR_BUSY1 };

/* The loop's failed SCs; *worst_run: the most that failed in a row (for one increment). */
static uint32_t increment(uint32_t *worst_run)
{
    uintptr_t word = (uintptr_t)&SCRATCH[SCR_COUNTER];
    uint32_t failures = 0, worst = 0;
    for (uint32_t i = 0; i < INCS; i++) {
        uint32_t run = 0;
        while (!ioc_arch_sc(&scen_port.arch, word, ioc_arch_ll(&scen_port.arch, word) + 1u))
            run++;
        failures += run;
        worst = run > worst ? run : worst;
    }
    *worst_run = worst;
    return failures;
}

static uint32_t sc_fail(uint32_t core)
{
    return SOC_REG(IOC_SC_FAIL_COUNT_OFFSET(core));
}

void scen_irq(void)
{
}

static int simpleos(void)
{
    struct ioc_chan tx;
    uint32_t words[IOC_SLOT_WORDS], busy = 0;
    ioc_port_init(&scen_port, SOC_SHM_BASE, SOC_IOC_REG_BASE);
    if (!scen_wait(SCR_GO_INC, 1u))
        return 1;
    scen_delay(SKEW);
    uint32_t worst;
    SCRATCH[SCR_SW_FAIL_INC1] = increment(&worst);
    SCRATCH[SCR_WORST_INC1] = worst;
    SCRATCH[SCR_DONE_INC] = 1u;
    if (!scen_wait(SCR_GO_ENQ, 1u))
        return 1;
    scen_delay(SKEW);
    if (ioc_chan_init(&tx, &scen_port, 0, IOC_SIDE_A, IOC_LOCKFREE) != IOC_OK)
        return 1;
    for (uint32_t k = 0; k < MSGS; k++) {
        message_compose(message_id(1u, k), words);
        scen_log(EV_SEND, "core1", 0, IOC_A2B, words[0]);
        while (ioc_send(&tx, words) != IOC_OK)
            busy++;
        scen_log(EV_ENQ, "core1", 0, IOC_A2B, words[0]);
    }
    SCRATCH[SCR_BUSY1] = busy;
    SCRATCH[SCR_DONE_ENQ] = 1u;
    scen_simpleos_done();
}

static int linux_role(void)
{
    struct ioc_chan tx, rx;
    uint32_t words[IOC_SLOT_WORDS], next[2] = {0, 0}, bad = 0, lost = 0, delivered = 0;
    uint32_t busy = 0;
    int ok = scen_linux_setup(&tx, 0u, IOC_LOCKFREE);  /* format only: no channel to attach */
    ok &= ioc_chan_init(&tx, &scen_port, 0, IOC_SIDE_A, IOC_LOCKFREE) == IOC_OK;
    ok &= ioc_chan_init(&rx, &scen_port, 0, IOC_SIDE_B, IOC_LOCKFREE) == IOC_OK;

    uint32_t f0 = sc_fail(0), f1 = sc_fail(1), t0 = scen_cycle();
    SCRATCH[SCR_GO_INC] = 1u;
    uint32_t worst0;
    uint32_t sw_fail0 = increment(&worst0);
    ok &= scen_wait(SCR_DONE_INC, 1u);
    uint32_t inc_cycles = scen_cycle() - t0;
    uint32_t inc_fail0 = sc_fail(0) - f0, inc_fail1 = sc_fail(1) - f1;
    uint32_t counter = SCRATCH[SCR_COUNTER];

    f0 = sc_fail(0);
    f1 = sc_fail(1);
    t0 = scen_cycle();
    SCRATCH[SCR_GO_ENQ] = 1u;
    uint32_t idle = 0;
    for (uint32_t k = 0; ok && (k < MSGS || delivered < 2u * MSGS); ) {
        if (k < MSGS) {
            message_compose(message_id(0u, k), words);
            scen_log(EV_SEND, "core0", 0, IOC_A2B, words[0]);
            if (ioc_send(&tx, words) == IOC_OK) {
                scen_log(EV_ENQ, "core0", 0, IOC_A2B, words[0]);
                k++;
            } else {
                scen_log(EV_BUSY, "core0", 0, IOC_A2B, words[0]);
                busy++;
            }
        }
        idle++;
        while (ioc_recv(&rx, words) == IOC_OK) {
            lost += scen_received("core0", 0, IOC_A2B, words, next, 2u, &bad);
            delivered++;
            idle = 0;
        }
        ok &= idle < SCEN_WAIT_LIMIT;
    }
    ok &= scen_wait(SCR_DONE_ENQ, 1u);
    uint32_t enq_cycles = scen_cycle() - t0;
    uint32_t enq_fail0 = sc_fail(0) - f0, enq_fail1 = sc_fail(1) - f1;
    ok &= scen_wait(SCR_FLUSHED, 1u);

    soc_puts("result ");
    soc_kv("incs", INCS);
    soc_kv("counter", counter);
    soc_kv("expected", 2u * INCS);
    soc_kv("inc_cycles", inc_cycles);
    soc_kv("inc_sc_fail0", inc_fail0);
    soc_kv("inc_sc_fail1", inc_fail1);
    soc_kv("inc_sw_fail0", sw_fail0);
    soc_kv("inc_sw_fail1", SCRATCH[SCR_SW_FAIL_INC1]);
    soc_kv("inc_worst_run0", worst0);
    soc_kv("inc_worst_run1", SCRATCH[SCR_WORST_INC1]);
    soc_kv("messages", 2u * MSGS);
    soc_kv("delivered", delivered);
    soc_kv("lost", lost);
    soc_kv("bad", bad);
    soc_kv("enq_cycles", enq_cycles);
    soc_kv("enq_sc_fail0", enq_fail0);
    soc_kv("enq_sc_fail1", enq_fail1);
    soc_kv("busy0", busy);
    soc_kv("busy1", SCRATCH[SCR_BUSY1]);
    ok &= counter == 2u * INCS && inc_fail0 == sw_fail0 && inc_fail1 == SCRATCH[SCR_SW_FAIL_INC1];
    ok &= delivered == 2u * MSGS && lost == 0u && bad == 0u;
    return scen_linux_done(ok);
}

int main(uint32_t hartid)
{
    return hartid == SOC_CORE_LINUX ? linux_role() : simpleos();
}
