/* Multi-producer ring stress of the IOC library: PRODUCERS threads each send MESSAGES messages
 * to one consumer through one ring of channel 0, for the lock-free and the locked variant.
 * The consumer checks exactly-once, in-order delivery per producer and intact slots, and the
 * program prints one line per variant and exits 0 only if every check held. Real threads
 * (qemu-sh4 runs guest threads on host threads), so the interleavings are real; QEMU's
 * movco.l compares values, so nothing here is an ABA test (that is the RTL's job). */
#include "ioc.h"
#include "message.h"
#include "os.h"

#define PRODUCERS 4u
#define MESSAGES 3000u
#define STACK_BYTES 16384u

static uint32_t shm[(IOC_SHM_BYTES + 3u) / 4u] __attribute__((aligned(64)));
static uint32_t regs[IOC_REG_SIZE / 4u];  /* no register block here: doorbells land in RAM */
static unsigned char stacks[PRODUCERS][STACK_BYTES] __attribute__((aligned(16)));

struct producer {
    struct ioc_port port;
    struct ioc_chan chan;
    uint32_t index;
    uint32_t busy;
    volatile uint32_t done;
};

static struct producer producers[PRODUCERS];

static void put(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    os_write(s, n);
}

static void put_u32(uint32_t v)
{
    char buf[11];
    int i = 10;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    put(buf + i);
}

static void produce(void *arg)
{
    struct producer *p = arg;
    uint32_t k, words[IOC_SLOT_WORDS];
    for (k = 0; k < MESSAGES; k++) {
        message_compose(message_id(p->index, k), words);
        while (ioc_send(&p->chan, words) == IOC_BUSY) {
            p->busy++;
            os_yield();
        }
    }
    __atomic_store_n(&p->done, 1u, __ATOMIC_RELEASE);
}

static int run(enum ioc_variant variant, const char *name)
{
    struct ioc_port port;
    struct ioc_chan rx;
    uint32_t next[PRODUCERS] = {0};
    uint32_t got = 0, bad = 0, busy = 0, i, words[IOC_SLOT_WORDS];

    ioc_port_init(&port, (uintptr_t)shm, (uintptr_t)regs);
    ioc_shm_format(&port);
    ioc_chan_init(&rx, &port, 0, IOC_SIDE_B, variant);
    ioc_attach(&rx, 0);
    for (i = 0; i < PRODUCERS; i++) {
        struct producer *p = &producers[i];
        ioc_port_init(&p->port, (uintptr_t)shm, (uintptr_t)regs);
        ioc_chan_init(&p->chan, &p->port, 0, IOC_SIDE_A, variant);
        p->index = i;
        p->busy = 0;
        p->done = 0;
        if (os_spawn(produce, p, stacks[i], STACK_BYTES)) {
            put("spawn failed\n");
            return 1;
        }
    }
    while (got < PRODUCERS * MESSAGES) {
        uint32_t id, from, k;
        if (ioc_recv(&rx, words) != IOC_OK) {
            os_yield();
            continue;
        }
        got++;
        id = words[0];
        from = message_producer(id);
        k = message_seq(id);
        bad += !message_intact(words);
        if (from >= PRODUCERS || k != next[from]) {
            bad++;  /* lost, duplicated, reordered or phantom */
            continue;
        }
        next[from]++;
    }
    for (i = 0; i < PRODUCERS; i++) {
        while (!__atomic_load_n(&producers[i].done, __ATOMIC_ACQUIRE))
            os_yield();
        busy += producers[i].busy;
    }
    bad += ioc_recv(&rx, words) != IOC_EMPTY;
    put("stress ");
    put(name);
    put(": producers=");
    put_u32(PRODUCERS);
    put(" delivered=");
    put_u32(got);
    put(" busy=");
    put_u32(busy);
    put(" violations=");
    put_u32(bad);
    put("\n");
    return bad != 0;
}

int test_main(void)
{
    int failed = run(IOC_LOCKFREE, "lockfree");
    failed |= run(IOC_LOCKED, "locked");
    return failed;
}
