/* Scenario (a): streaming on NCH channels with the ring variant VARIANT, on the IOC library.
 *
 * The Linux-role core (endpoint A) first measures the latency of one message in flight, PINGS
 * times on channel 0: it reads the IOC cycle counter, sends, rings the doorbell and polls for
 * the reply; the SimpleOS-role core's interrupt handler reads the counter right after the
 * message is dequeued (one-way latency) and replies (round trip: until core 0 has the reply).
 * Then it streams MSGS messages on every channel, round-robin, back-pressured by full rings,
 * while draining replies. The SimpleOS-role core drains every ring in its interrupt handler and
 * replies to each message on the channel's other ring (a reply that finds its ring full waits
 * for the next interrupt: core 0 rings the doorbell whenever it made room).
 *
 * Both cores check their receive streams exactly-once and in order (scen_received); core 0 exits 0
 * only if every message and every reply arrived so. The events are logged for soc.check. */
#include "scen.h"

#ifndef VARIANT
#define VARIANT IOC_LOCKFREE
#endif
#ifndef NCH
#define NCH 3u
#endif
#ifndef MSGS
#define MSGS 50u
#endif
#ifndef PINGS
#define PINGS 8u
#endif
#define TOTAL (PINGS + NCH * MSGS)

enum { SCR_T_DELIVER = SCR_FIRST_FREE, SCR_S_DELIVERED, SCR_S_LOST, SCR_S_BAD };

static struct ioc_chan ch[NCH];

/* ---- SimpleOS role */

static uint32_t next_rx[NCH], s_delivered, s_lost, s_bad;
static volatile uint32_t replied;
static int reply_pending[NCH];
static uint32_t reply[NCH][IOC_SLOT_WORDS];

/* One step on channel c: send its pending reply, then take one message; 1 if it did either.
 * A reply that finds its ring full waits (core 0 rings when it made room), and so does the
 * channel's next message. */
static int serve_one(uint32_t c)
{
    uint32_t words[IOC_SLOT_WORDS];
    if (reply_pending[c]) {
        if (ioc_send(&ch[c], reply[c]) != IOC_OK)
            return 0;
        scen_log(EV_ENQ, "simpleos", c, IOC_B2A, reply[c][0]);
        reply_pending[c] = 0;
        replied = replied + 1u;
        ioc_doorbell(&ch[c]);
    }
    if (ioc_recv(&ch[c], words) != IOC_OK)
        return 0;
    SCRATCH[SCR_T_DELIVER] = scen_cycle();
    s_lost += scen_received("simpleos", c, IOC_A2B, words, next_rx, NCH, &s_bad);
    s_delivered++;
    message_compose(SCEN_REPLY | words[0], reply[c]);
    reply_pending[c] = 1;
    scen_log(EV_SEND, "simpleos", c, IOC_B2A, reply[c][0]);
    return 1;
}

/* Round-robin over the channels, one message each, until none has work: no channel waits for
 * another to run dry. */
static void serve(void)
{
    int busy;
    do {
        busy = 0;
        for (uint32_t c = 0; c < NCH; c++)
            busy |= serve_one(c);
    } while (busy);
}

void scen_irq(void)
{
    ioc_ack(&scen_port, ioc_pending(&scen_port));  /* before draining: a later ring re-raises */
    serve();
}

static int simpleos(void)
{
    if (!scen_simpleos_setup(ch, NCH, VARIANT, 0))
        return 1;
    while (replied < TOTAL)
        __asm__ volatile("wfi");
    SCRATCH[SCR_S_DELIVERED] = s_delivered;
    SCRATCH[SCR_S_LOST] = s_lost;
    SCRATCH[SCR_S_BAD] = s_bad;
    scen_simpleos_done();
}

/* ---- Linux role */

static uint32_t sent[NCH], next_reply[NCH], bad, lost;

static uint32_t take_reply(uint32_t c)
{
    uint32_t words[IOC_SLOT_WORDS];
    if (ioc_recv(&ch[c], words) != IOC_OK)
        return 0;
    lost += scen_received("linux", c, IOC_B2A, words, next_reply, NCH, &bad);
    return 1;
}

static int linux_role(void)
{
    uint32_t words[IOC_SLOT_WORDS];
    uint32_t lat_min = UINT32_MAX, lat_max = 0, rtt_min = UINT32_MAX, rtt_max = 0;
    uint32_t replies = 0, idle = 0;
    int ok = scen_linux_setup(ch, NCH, VARIANT);

    for (uint32_t i = 0; ok && i < PINGS; i++) {
        message_compose(message_id(0, sent[0]), words);
        scen_log(EV_SEND, "linux", 0, IOC_A2B, words[0]);
        uint32_t t0 = scen_cycle();
        int sent_ok = ioc_send(&ch[0], words) == IOC_OK;
        ioc_doorbell(&ch[0]);
        uint32_t polls = 0;
        while (!take_reply(0) && ++polls < SCEN_WAIT_LIMIT) {
        }
        uint32_t rtt = scen_cycle() - t0, lat = SCRATCH[SCR_T_DELIVER] - t0;
        if (!sent_ok || polls == SCEN_WAIT_LIMIT) {
            ok = 0;
            break;
        }
        scen_log(EV_ENQ, "linux", 0, IOC_A2B, words[0]);
        sent[0]++;
        replies++;
        lat_min = lat < lat_min ? lat : lat_min;
        lat_max = lat > lat_max ? lat : lat_max;
        rtt_min = rtt < rtt_min ? rtt : rtt_min;
        rtt_max = rtt > rtt_max ? rtt : rtt_max;
    }

    uint32_t start = scen_cycle();
    int logged[NCH] = {0};
    while (ok && replies < TOTAL) {
        uint32_t progress = 0;
        for (uint32_t c = 0; c < NCH; c++) {
            if (sent[c] < MSGS + (c == 0u ? PINGS : 0u)) {
                message_compose(message_id(c, sent[c]), words);
                if (!logged[c]) {
                    scen_log(EV_SEND, "linux", c, IOC_A2B, words[0]);
                    logged[c] = 1;
                }
                if (ioc_send(&ch[c], words) == IOC_OK) {  /* IOC_BUSY: retry next round */
                    scen_log(EV_ENQ, "linux", c, IOC_A2B, words[0]);
                    sent[c]++;
                    logged[c] = 0;
                    progress++;
                    ioc_doorbell(&ch[c]);
                }
            }
            uint32_t got = 0;
            while (take_reply(c))
                got++;
            if (got)
                ioc_doorbell(&ch[c]);  /* room for the replies core 1 could not send */
            replies += got;
            progress += got;
        }
        idle = progress ? 0 : idle + 1u;
        ok &= idle < SCEN_WAIT_LIMIT / 16u;
    }
    uint32_t cycles = scen_cycle() - start;

    ok &= scen_wait(SCR_FLUSHED, 1u);
    uint32_t messages = 0;
    for (uint32_t c = 0; c < NCH; c++)
        messages += sent[c];
    soc_puts("result ");
    soc_kv("messages", messages);
    soc_kv("replies", replies);
    soc_kv("expected", TOTAL);
    soc_kv("delivered", SCRATCH[SCR_S_DELIVERED]);
    soc_kv("lost", lost + SCRATCH[SCR_S_LOST]);
    soc_kv("bad", bad + SCRATCH[SCR_S_BAD]);
    soc_kv("stream_cycles", cycles);
    soc_kv("stream_messages", NCH * MSGS);
    soc_kv("latency_min", lat_min);
    soc_kv("latency_max", lat_max);
    soc_kv("rtt_min", rtt_min);
    soc_kv("rtt_max", rtt_max);
    ok &= messages == TOTAL && replies == TOTAL && SCRATCH[SCR_S_DELIVERED] == TOTAL;
    ok &= lost == 0u && bad == 0u && SCRATCH[SCR_S_LOST] == 0u && SCRATCH[SCR_S_BAD] == 0u;
    return scen_linux_done(ok);
}

int main(uint32_t hartid)
{
    return hartid == SOC_CORE_LINUX ? linux_role() : simpleos();
}
