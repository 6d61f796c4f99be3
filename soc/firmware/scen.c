/* Shared part of the IOC scenarios: see scen.h. */
#include "scen.h"

#define MCAUSE_IRQ 0x80000000u
#define EXTERNAL_IRQ 11u
/* Events kept until scen_flush (a log that fills up is printed early). */
#define LOG_MAX 1500u

struct event {
    const char *thread;
    uint32_t id;
    uint8_t kind, channel, direction;
};

static const char *const kind_names[] = {"send", "enq", "busy", "deliver", "corrupt"};
/* Not cleared at boot (.noinit): a restarted core boots quicker, and n_events says what is
 * valid. */
static struct event events[LOG_MAX] __attribute__((section(".noinit")));
static uint32_t n_events;

struct ioc_port scen_port;
int scen_log_live;

uint32_t soc_trap(uint32_t mcause, uint32_t mepc)
{
    if (mcause == (MCAUSE_IRQ | EXTERNAL_IRQ)) {
        scen_irq();
        return mepc;
    }
    scen_exception(mcause, mepc);
    return mepc;
}

__attribute__((weak)) void scen_exception(uint32_t mcause, uint32_t mepc)
{
    soc_puts("unexpected trap ");
    soc_kv("mcause", mcause);
    soc_kv("mepc", mepc);
    soc_putc('\n');
    *(volatile uint32_t *)SOC_MMIO_EXIT = 0xdead;
    for (;;) {
    }
}

/* Hexadecimal: no division, so a live log slows a handler down less. */
static void put_hex(uint32_t v)
{
    for (int shift = 28; shift >= 0; shift -= 4)
        soc_putc("0123456789abcdef"[(v >> shift) & 15u]);
}

static void print_event(const struct event *e)
{
    soc_puts("H ");
    soc_puts(kind_names[e->kind]);
    soc_putc(' ');
    soc_puts(e->thread);
    soc_putc(' ');
    soc_putu(e->channel);
    soc_putc(' ');
    soc_putu(e->direction);
    soc_putc(' ');
    put_hex(e->id);
    soc_putc('\n');
}

void scen_log(enum scen_kind kind, const char *thread, uint32_t channel, uint32_t direction,
              uint32_t id)
{
    struct event e = {thread, id, (uint8_t)kind, (uint8_t)channel, (uint8_t)direction};
    if (scen_log_live) {
        print_event(&e);
        return;
    }
    if (n_events == LOG_MAX)
        scen_flush();
    events[n_events++] = e;
}

void scen_flush(void)
{
    for (uint32_t i = 0; i < n_events; i++)
        print_event(&events[i]);
    n_events = 0;
}

void scen_simpleos_done(void)
{
    scen_flush();
    SCRATCH[SCR_FLUSHED] = 1u;
    for (;;)
        __asm__ volatile("wfi");
}

int scen_linux_done(int ok)
{
    soc_kv("sc_fail0", SOC_REG(IOC_SC_FAIL_COUNT_OFFSET(SOC_CORE_LINUX)));
    soc_kv("sc_fail1", SOC_REG(IOC_SC_FAIL_COUNT_OFFSET(SOC_CORE_SIMPLEOS)));
    soc_putc('\n');
    scen_flush();
    soc_puts(ok ? "PASS\n" : "FAIL\n");
    return ok ? 0 : 1;
}

uint32_t scen_cycle(void)
{
    return SOC_REG(IOC_CYCLE_LO_OFFSET);
}

int scen_wait(uint32_t word, uint32_t value)
{
    for (uint32_t i = 0; i < SCEN_WAIT_LIMIT; i++) {
        if (SCRATCH[word] == value)
            return 1;
    }
    soc_puts("timeout ");
    soc_kv("scratch", word);
    soc_kv("want", value);
    soc_kv("have", SCRATCH[word]);
    soc_putc('\n');
    return 0;
}

void scen_delay(uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        __asm__ volatile("nop");
}

int scen_linux_setup(struct ioc_chan *ch, uint32_t n, enum ioc_variant variant)
{
    ioc_port_init(&scen_port, SOC_SHM_BASE, SOC_IOC_REG_BASE);
    ioc_shm_format(&scen_port);
    for (uint32_t c = 0; c < n; c++) {
        SOC_REG(IOC_CH_CFG_OFFSET(c)) = IOC_FIELD_PREP(IOC_CH_CFG_EP_A, SOC_CORE_LINUX)
                                        | IOC_FIELD_PREP(IOC_CH_CFG_EP_B, SOC_CORE_SIMPLEOS)
                                        | IOC_CH_CFG_ENABLE_MASK;
        if (ioc_chan_init(&ch[c], &scen_port, c, IOC_SIDE_A, variant) != IOC_OK)
            return 0;
    }
    SCRATCH[SCR_FORMATTED] = 1u;
    for (uint32_t c = 0; c < n; c++) {
        uint32_t i = 0;
        while (ioc_peer_ready(&ch[c]) != IOC_OK) {
            if (++i == SCEN_WAIT_LIMIT) {
                soc_puts("timeout attach\n");
                return 0;
            }
        }
    }
    return 1;
}

int scen_simpleos_setup(struct ioc_chan *ch, uint32_t n, enum ioc_variant variant,
                        int restarted)
{
    ioc_port_init(&scen_port, SOC_SHM_BASE, SOC_IOC_REG_BASE);
    if (!scen_wait(SCR_FORMATTED, 1u))
        return 0;
    for (uint32_t c = 0; c < n; c++) {
        if (ioc_chan_init(&ch[c], &scen_port, c, IOC_SIDE_B, variant) != IOC_OK)
            return 0;
        ioc_attach(&ch[c], restarted);
    }
    SOC_REG(IOC_CH_ENABLE_OFFSET) = (1u << n) - 1u;
    soc_enable_external_irq();
    return 1;
}

uint32_t scen_received(const char *thread, uint32_t channel, uint32_t direction,
                       const uint32_t words[IOC_SLOT_WORDS], uint32_t *next, uint32_t streams,
                       uint32_t *bad)
{
    uint32_t id = words[0] & ~SCEN_REPLY;
    uint32_t stream = message_producer(id), seq = message_seq(id), lost = 0;
    int intact = message_intact(words);
    scen_log(intact ? EV_DELIVER : EV_CORRUPT, thread, channel, direction, words[0]);
    if (!intact || stream >= streams || seq < next[stream]) {
        *bad += 1u;
        return 0;
    }
    lost = seq - next[stream];
    next[stream] = seq + 1u;
    return lost;
}
