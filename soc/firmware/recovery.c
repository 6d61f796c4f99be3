/* Scenario (c): SimpleOS fails, Linux detects it (hardware watchdog, or no progress), restarts
 * it through AGENT_CTRL, and the new incarnation re-attaches by epoch; nothing is lost silently.
 *
 * Core 0 (Linux role) streams MSGS messages on each of NCH channels (variant VARIANT) and runs
 * the monitoring service: watchdog 0 (period WDOG_PERIOD, supervisor core 0, kicked by core 1)
 * expiring raises WATCHDOG in core 0's EV_PENDING; and a channel whose messages get no reply for
 * STALL cycles is judged stuck. Core 0 then resets core 1 (AGENT_CTRL.RESET: the channels'
 * epochs change), kicks the watchdog once for the reboot, and waits until every channel is
 * attached again at its new epoch. Core 1 (SimpleOS role) drains its rings in the interrupt
 * handler and replies to each message, kicking the watchdog; in its first incarnation it injects
 * FAULT after its FAULT_AFTER-th delivery: 1 = crash (an illegal instruction: the exception
 * handler panics, stopped for good), 2 = hang (a loop with interrupts off), 3 = corrupt (it
 * scribbles over channel 0's receive-ring tail and wedges: its handler serves nothing more
 * while its main loop still kicks the watchdog, which only the progress monitor sees; it stops
 * printing too, so that the reset does not cut a log line in two). Its second
 * incarnation (boots counted in .noinit, which a reset keeps) attaches with restarted = 1: the
 * library re-derives the receive rings' tail from the commit record, so the messages its
 * predecessor left are delivered now, exactly once.
 *
 * Core 1 logs every delivery at once (a crash must not take its record along) and, as its last
 * act before the fault, publishes how many messages will get no reply (the one just delivered,
 * and replies still waiting for room). Core 0 ends when every message was delivered and every
 * reply that will come came; it exits 0 if that happened with exactly one detection and restart,
 * in order and without loss. Detection (fault to the monitor's reaction) and recovery (to every
 * channel attached again) are measured on the IOC cycle counter. */
#include "scen.h"

#ifndef VARIANT
#define VARIANT IOC_LOCKFREE
#endif
#ifndef NCH
#define NCH 2u
#endif
#ifndef MSGS
#define MSGS 24u
#endif
#ifndef FAULT
#define FAULT 1
#endif
#ifndef FAULT_AFTER
#define FAULT_AFTER 9u
#endif
#ifndef WDOG_PERIOD
#define WDOG_PERIOD 6000u
#endif
/* Cycles a channel may wait for a reply before the monitor judges core 1 stuck (well above the
 * slowest reply of a healthy run, and above the watchdog's period, which sees a dead core
 * first). */
#ifndef STALL
#define STALL (4u * WDOG_PERIOD)
#endif
enum { BY_WATCHDOG = 1, BY_PROGRESS = 2 };
/* Loop iterations between the SimpleOS main loop's kicks (well inside the period). */
#define KICK_GAP 300u
#define TOTAL (NCH * MSGS)
#define WDOG 0u

enum { SCR_S_DELIVERED = SCR_FIRST_FREE, SCR_S_UNREPLIED, SCR_FAULT_CYCLE,
       SCR_S_LOST, SCR_S_BAD, SCR_BOOTS };

static struct ioc_chan ch[NCH];

/* ---- SimpleOS role */

static uint32_t boots __attribute__((section(".noinit")));
static char thread[] = "simpleos0";
/* Each stream's next message: kept across a restart (.noinit), so the new incarnation checks
 * that it continues exactly where the commit record says its predecessor stopped. */
static uint32_t next_rx[NCH] __attribute__((section(".noinit")));
static uint32_t s_bad;
static int reply_pending[NCH];
static uint32_t reply[NCH][IOC_SLOT_WORDS];

static int wedged;

static void inject(void)
{
    uint32_t unreplied = 1u;  /* the message just delivered */
    for (uint32_t c = 0; c < NCH; c++)
        unreplied += (uint32_t)reply_pending[c];
    SCRATCH[SCR_S_UNREPLIED] = SCRATCH[SCR_S_UNREPLIED] + unreplied;
    SCRATCH[SCR_FAULT_CYCLE] = scen_cycle();
    soc_puts(FAULT == 1 ? "simpleos fault=crash\n"
             : FAULT == 2 ? "simpleos fault=hang\n" : "simpleos fault=corrupt\n");
    if (FAULT == 1)
        __asm__ volatile(".word 0");  /* illegal instruction */
    if (FAULT == 3) {
        /* the layout's offsets: this is the fault, not the protocol */
        SOC_SHM[(IOC_SHM_CHAN_OFFSET + IOC_MEM_T_FIFO_OFFSET + IOC_A2B * IOC_MEM_FIFO_BYTES
                 + IOC_MEM_FIFO_TAIL_OFFSET) / 4u] = 0xDEADBEEFu;
        wedged = 1;
        return;
    }
    for (;;) {
    }
}

/* A crash: the exception handler stops the core for good (the watchdog must notice). */
void scen_exception(uint32_t mcause, uint32_t mepc)
{
    soc_puts("simpleos panic ");
    soc_kv("mcause", mcause);
    soc_kv("mepc", mepc);
    soc_putc('\n');
    for (;;) {
    }
}

/* One step on channel c (as in stream.c, with the watchdog kicked and the fault injected);
 * 1 if it sent a reply or took a message. */
static int serve_one(uint32_t c)
{
    uint32_t words[IOC_SLOT_WORDS];
    ioc_wdog_kick(&scen_port, WDOG);
    if (reply_pending[c]) {
        scen_log(EV_SEND, thread, c, IOC_B2A, reply[c][0]);
        if (ioc_send(&ch[c], reply[c]) != IOC_OK) {
            scen_log(EV_BUSY, thread, c, IOC_B2A, reply[c][0]);
            return 0;
        }
        scen_log(EV_ENQ, thread, c, IOC_B2A, reply[c][0]);
        reply_pending[c] = 0;
        ioc_doorbell(&ch[c]);
    }
    if (ioc_recv(&ch[c], words) != IOC_OK)
        return 0;
    SCRATCH[SCR_S_LOST] = SCRATCH[SCR_S_LOST]
                          + scen_received(thread, c, IOC_A2B, words, next_rx, NCH, &s_bad);
    SCRATCH[SCR_S_BAD] = s_bad;
    uint32_t delivered = SCRATCH[SCR_S_DELIVERED] + 1u;
    SCRATCH[SCR_S_DELIVERED] = delivered;
    if (boots == 1u && delivered == FAULT_AFTER) {
        inject();
        return 0;
    }
    message_compose(SCEN_REPLY | words[0], reply[c]);
    reply_pending[c] = 1;
    return 1;
}

static void serve(void)
{
    int busy;
    do {
        busy = 0;
        for (uint32_t c = 0; c < NCH && !wedged; c++)
            busy |= serve_one(c);
    } while (busy && !wedged);
}

void scen_irq(void)
{
    ioc_ack(&scen_port, ioc_pending(&scen_port));
    serve();
}

static int simpleos(void)
{
    boots += 1u;
    SCRATCH[SCR_BOOTS] = boots;
    thread[8] = (char)('0' + boots % 10u);
    scen_log_live = 1;
    if (!scen_simpleos_setup(ch, NCH, VARIANT, boots > 1u))
        return 1;
    if (boots > 1u) {
        /* what was left in the rings (no doorbell is pending after the reset), with the
         * interrupt off so that the handler does not serve the same rings meanwhile */
        __asm__ volatile("csrc mstatus, %0" : : "r"(1u << 3));
        serve();
        __asm__ volatile("csrs mstatus, %0" : : "r"(1u << 3));
    }
    for (;;) {
        ioc_wdog_kick(&scen_port, WDOG);
        scen_delay(KICK_GAP);
    }
}

/* ---- Linux role: producer and monitoring service */

/* gaps: replies skipped in a reply stream, which must be exactly the ones core 1 said will
 * not come */
static uint32_t sent[NCH], replied[NCH], next_reply[NCH], bad, gaps, tombstones;

static uint32_t take_replies(uint32_t c)
{
    uint32_t words[IOC_SLOT_WORDS], got = 0;
    while (ioc_recv(&ch[c], words) == IOC_OK) {
        if (words[0] == IOC_TOMBSTONE) {  /* a reply slot the dead incarnation reserved */
            tombstones++;
            continue;
        }
        gaps += scen_received("linux", c, IOC_B2A, words, next_reply, NCH, &bad);
        got++;
    }
    replied[c] += got;
    if (got)
        ioc_doorbell(&ch[c]);
    return got;
}

static int restart_simpleos(uint32_t *detect, uint32_t *recover)
{
    uint32_t t_detect = scen_cycle();
    SOC_REG(IOC_AGENT_CTRL_OFFSET(SOC_CORE_SIMPLEOS)) = IOC_AGENT_CTRL_RESET_MASK;
    SOC_REG(IOC_WDOG_EXPIRED_OFFSET) = 1u << WDOG;
    SOC_REG(IOC_EV_PENDING_OFFSET) = IOC_EV_PENDING_WATCHDOG_MASK | IOC_EV_PENDING_PEER_RESET_MASK;
    ioc_wdog_kick(&scen_port, WDOG);  /* a full period for the reboot */
    for (uint32_t c = 0; c < NCH; c++) {
        uint32_t i = 0;
        while (ioc_peer_ready(&ch[c]) != IOC_OK) {
            if (++i == SCEN_WAIT_LIMIT)
                return 0;
        }
    }
    uint32_t t_back = scen_cycle();
    *detect = t_detect - SCRATCH[SCR_FAULT_CYCLE];
    *recover = t_back - t_detect;
    return 1;
}

static int linux_role(void)
{
    uint32_t words[IOC_SLOT_WORDS], replies = 0, restarts = 0, idle = 0, detect = 0, recover = 0;
    uint32_t detected_by = 0, settled[NCH];  /* per channel: when it last made progress */
    int logged[NCH] = {0};
    /* core 1 may kick from its first boot on (a refused kick is a bus error); the watchdog
     * runs once core 1 has attached */
    uint32_t wdog = IOC_FIELD_PREP(IOC_WDOG_CTRL_SUPERVISOR, SOC_CORE_LINUX)
                    | IOC_FIELD_PREP(IOC_WDOG_CTRL_KICK_MASK, 1u << SOC_CORE_SIMPLEOS);
    SOC_REG(IOC_WDOG_PERIOD_OFFSET(WDOG)) = WDOG_PERIOD;
    SOC_REG(IOC_WDOG_CTRL_OFFSET(WDOG)) = wdog;
    int ok = scen_linux_setup(ch, NCH, VARIANT);
    SOC_REG(IOC_WDOG_CTRL_OFFSET(WDOG)) = wdog | IOC_WDOG_CTRL_ENABLE_MASK;
    uint32_t start = scen_cycle();
    for (uint32_t c = 0; c < NCH; c++)
        settled[c] = start;
    while (ok) {
        uint32_t now = scen_cycle(), stuck = 0;
        uint32_t progress = 0, all_sent = 1;
        for (uint32_t c = 0; c < NCH; c++) {
            if (sent[c] < MSGS) {
                all_sent = 0;
                message_compose(message_id(c, sent[c]), words);
                if (!logged[c]) {
                    scen_log(EV_SEND, "linux", c, IOC_A2B, words[0]);
                    logged[c] = 1;
                }
                if (ioc_send(&ch[c], words) == IOC_OK) {
                    scen_log(EV_ENQ, "linux", c, IOC_A2B, words[0]);
                    sent[c]++;
                    logged[c] = 0;
                    progress++;
                    ioc_doorbell(&ch[c]);
                }
            }
            uint32_t got = take_replies(c);
            replies += got;
            progress += got;
            /* a reply, or nothing awaited (the replies a failed incarnation announced it will
             * not send count as settled), is progress */
            if (got || sent[c] == replied[c] + SCRATCH[SCR_S_UNREPLIED])
                settled[c] = now;
            stuck |= now - settled[c] > STALL;
        }
        uint32_t watchdog = SOC_REG(IOC_EV_PENDING_OFFSET) & IOC_EV_PENDING_WATCHDOG_MASK;
        if (watchdog || stuck) {
            detected_by = watchdog ? BY_WATCHDOG : BY_PROGRESS;
            ok &= restart_simpleos(&detect, &recover);
            restarts++;
            progress++;
            for (uint32_t c = 0; c < NCH; c++)
                settled[c] = scen_cycle();
        }
        if (all_sent && SCRATCH[SCR_S_DELIVERED] == TOTAL
            && replies == TOTAL - SCRATCH[SCR_S_UNREPLIED])
            break;
        idle = progress ? 0 : idle + 1u;
        ok &= idle < SCEN_WAIT_LIMIT / 16u;
    }
    uint32_t cycles = scen_cycle() - start;
    soc_puts("result ");
    soc_kv("messages", TOTAL);
    soc_kv("delivered", SCRATCH[SCR_S_DELIVERED]);
    soc_kv("replies", replies);
    soc_kv("unreplied", SCRATCH[SCR_S_UNREPLIED]);
    soc_kv("tombstones", tombstones);
    soc_kv("reply_gaps", gaps);
    soc_kv("lost", SCRATCH[SCR_S_LOST]);
    soc_kv("bad", bad + SCRATCH[SCR_S_BAD]);
    soc_kv("restarts", restarts);
    soc_kv("boots", SCRATCH[SCR_BOOTS]);
    soc_kv("epoch", IOC_FIELD_GET(IOC_EPOCH_EPOCH, SOC_REG(IOC_EPOCH_OFFSET(0))));
    soc_kv("detected_by", detected_by);
    soc_kv("detect_cycles", detect);
    soc_kv("recover_cycles", recover);
    soc_kv("stream_cycles", cycles);
    ok &= restarts == 1u && SCRATCH[SCR_BOOTS] == 2u && SCRATCH[SCR_S_DELIVERED] == TOTAL;
    ok &= gaps == SCRATCH[SCR_S_UNREPLIED] && bad == 0u && SCRATCH[SCR_S_LOST] == 0u
          && SCRATCH[SCR_S_BAD] == 0u;
    return scen_linux_done(ok);
}

int main(uint32_t hartid)
{
    return hartid == SOC_CORE_LINUX ? linux_role() : simpleos();
}
