/* Scenario (b): the paper's Fig. 3 on the real cores, with the ring variant VARIANT.
 *
 * Two producers share the ring core 1 sends on (channel 0, B -> A): P0 is the SimpleOS-role
 * core's main program, P1 runs on the Linux-role core (bound as a second endpoint-B producer);
 * core 0 also consumes the ring. In attempt i, P0 announces its send and calls ioc_send; core 0
 * waits DELAY0 + i * STEP loop iterations and rings channel 0's doorbell, so that core 1's
 * interrupt lands at a different point of P0's enqueue in every attempt. The interrupt handler
 * (the trap pulses resv_clear, as SH-4A clears LDST) holds P0 preempted until P1 has enqueued a
 * whole message on the other core, or for at most HOLD polls (P1 cannot finish while P0 holds
 * the locked ring's lock). When the interrupt lands between P0's read of head and its write
 * back, the naive ring loses a message (P0 writes the slot P1 just published, with the stale
 * head): core 0 counts the loss and the Python checker finds it. The lock-free ring's SC fails
 * instead (core 1's SC failure counter shows the preemption), and the locked ring's P1 waits for
 * the lock (the handler's hold times out): neither loses anything.
 *
 * Core 0 exits 0 if the run behaved as its variant must: the naive ring lost a message (and it
 * was detected), the lock-free and locked rings lost none while P0 was preempted in the window. */
#include "scen.h"

#ifndef VARIANT
#define VARIANT IOC_NAIVE
#endif
#ifndef ATTEMPTS
#define ATTEMPTS 48u
#endif
#ifndef DELAY0
#define DELAY0 0u
#endif
#ifndef STEP
#define STEP 1u
#endif
#define HOLD 4000u

enum { SCR_ARM = SCR_FIRST_FREE, SCR_IN_HANDLER, SCR_P1_DONE, SCR_P0_DONE, SCR_ATTEMPT_DONE,
       SCR_SC_HIT, SCR_HELD_OUT };

/* ---- SimpleOS role: P0 and the interrupt handler */

static struct ioc_chan p0;
static volatile uint32_t attempt;

void scen_irq(void)
{
    ioc_ack(&scen_port, ioc_pending(&scen_port));
    SCRATCH[SCR_IN_HANDLER] = attempt;
    for (uint32_t i = 0; i < HOLD; i++) {
        if (SCRATCH[SCR_P1_DONE] == attempt)
            return;
    }
    SCRATCH[SCR_HELD_OUT] = SCRATCH[SCR_HELD_OUT] + 1u;  /* P1 is blocked: P0 holds the lock */
}

static int simpleos(void)
{
    uint32_t words[IOC_SLOT_WORDS];
    if (!scen_simpleos_setup(&p0, 1u, VARIANT, 0))
        return 1;
    for (uint32_t i = 1; i <= ATTEMPTS; i++) {
        uint32_t sc_fail = SOC_REG(IOC_SC_FAIL_COUNT_OFFSET(SOC_CORE_SIMPLEOS));
        message_compose(message_id(0u, i - 1u), words);
        attempt = i;
        scen_log(EV_SEND, "p0", 0, IOC_B2A, words[0]);
        SCRATCH[SCR_ARM] = i;
        while (ioc_send(&p0, words) != IOC_OK) {
        }
        SCRATCH[SCR_P0_DONE] = i;
        scen_log(EV_ENQ, "p0", 0, IOC_B2A, words[0]);
        if (SOC_REG(IOC_SC_FAIL_COUNT_OFFSET(SOC_CORE_SIMPLEOS)) != sc_fail)
            SCRATCH[SCR_SC_HIT] = SCRATCH[SCR_SC_HIT] + 1u;
        if (!scen_wait(SCR_ATTEMPT_DONE, i))
            return 1;
    }
    scen_simpleos_done();
}

/* ---- Linux role: the doorbell, P1 and the consumer */

static int linux_role(void)
{
    struct ioc_chan rx, p1;
    uint32_t words[IOC_SLOT_WORDS], next[2] = {0, 0}, bad = 0, lost = 0, delivered = 0;
    int ok = scen_linux_setup(&rx, 1u, VARIANT);
    ok &= ioc_chan_init(&p1, &scen_port, 0, IOC_SIDE_B, VARIANT) == IOC_OK;
    for (uint32_t i = 1; ok && i <= ATTEMPTS; i++) {
        ok &= scen_wait(SCR_ARM, i);
        scen_delay(DELAY0 + (i - 1u) * STEP);
        ioc_doorbell(&rx);
        ok &= scen_wait(SCR_IN_HANDLER, i);
        message_compose(message_id(1u, i - 1u), words);
        scen_log(EV_SEND, "p1", 0, IOC_B2A, words[0]);
        while (ioc_send(&p1, words) != IOC_OK) {
        }
        scen_log(EV_ENQ, "p1", 0, IOC_B2A, words[0]);
        SCRATCH[SCR_P1_DONE] = i;
        ok &= scen_wait(SCR_P0_DONE, i);
        while (ioc_recv(&rx, words) == IOC_OK) {
            lost += scen_received("linux", 0, IOC_B2A, words, next, 2u, &bad);
            delivered++;
        }
        SCRATCH[SCR_ATTEMPT_DONE] = i;
    }
    ok &= scen_wait(SCR_FLUSHED, 1u);
    lost += (ATTEMPTS - next[0]) + (ATTEMPTS - next[1]);  /* the last ones of each producer */
    soc_puts("result ");
    soc_kv("attempts", ATTEMPTS);
    soc_kv("messages", 2u * ATTEMPTS);
    soc_kv("delivered", delivered);
    soc_kv("lost", lost);
    soc_kv("bad", bad);
    soc_kv("sc_hit", SCRATCH[SCR_SC_HIT]);
    soc_kv("held_out", SCRATCH[SCR_HELD_OUT]);
    if (VARIANT == IOC_NAIVE)
        ok &= lost > 0u;  /* the negative control: the interleaving made it lose, and it was seen */
    else
        ok &= lost == 0u && bad == 0u && delivered == 2u * ATTEMPTS
              && SCRATCH[SCR_SC_HIT] + SCRATCH[SCR_HELD_OUT] > 0u;
    return scen_linux_done(ok);
}

int main(uint32_t hartid)
{
    return hartid == SOC_CORE_LINUX ? linux_role() : simpleos();
}
