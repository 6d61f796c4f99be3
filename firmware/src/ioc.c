/* The IOC protocol in portable C: the same operations, in the same order, as sw_model.ring and
 * the attach of sw_model.guests.SimpleOS, so both leave byte-identical shared-RAM images
 * (tests/test_firmware_host.py checks it). Tickets are free-running 32-bit counters; a ticket's
 * slot is ticket % IOC_DEPTH. */
#include "ioc.h"

/* Assumes IOC_DEPTH is a power of two (sw_model.layout refuses anything else). */
#define SLOT_OF(ticket) ((ticket) & (IOC_DEPTH - 1u))

static uint32_t load(struct ioc_port *p, uintptr_t addr)
{
    return ioc_arch_load(&p->arch, addr);
}

static void store(struct ioc_port *p, uintptr_t addr, uint32_t value)
{
    ioc_arch_store(&p->arch, addr, value);
}

static uint32_t reg_read(struct ioc_port *p, uint32_t offset)
{
    return load(p, p->regs + offset);
}

static void reg_write(struct ioc_port *p, uint32_t offset, uint32_t value)
{
    store(p, p->regs + offset, value);
}

/* Addresses of one ring's words (sw_model.layout.RingView). */
struct ring {
    uintptr_t base;
};

static uintptr_t chan_base(const struct ioc_port *p, uint32_t channel)
{
    return p->shm + IOC_SHM_CHAN_OFFSET + (uintptr_t)channel * IOC_MEM_T_BYTES;
}

static struct ring ring_of(const struct ioc_chan *ch, uint32_t direction)
{
    struct ring r;
    r.base = chan_base(ch->port, ch->channel) + IOC_MEM_T_FIFO_OFFSET
             + (uintptr_t)direction * IOC_MEM_FIFO_BYTES;
    return r;
}

static uintptr_t r_head(struct ring r) { return r.base + IOC_MEM_FIFO_HEAD_OFFSET; }
static uintptr_t r_tail(struct ring r) { return r.base + IOC_MEM_FIFO_TAIL_OFFSET; }
static uintptr_t r_lock(struct ring r) { return r.base + IOC_MEM_FIFO_LOCK_OFFSET; }

static uintptr_t r_seq(struct ring r, uint32_t ticket)
{
    return r.base + IOC_MEM_FIFO_SEQ_OFFSET + 4u * (uintptr_t)SLOT_OF(ticket);
}

static uintptr_t r_slot(struct ring r, uint32_t ticket, uint32_t word)
{
    return r.base + IOC_MEM_FIFO_SLOT_OFFSET
           + 4u * ((uintptr_t)SLOT_OF(ticket) * IOC_SLOT_WORDS + word);
}

static void write_slot(struct ioc_port *p, struct ring r, uint32_t ticket,
                       const uint32_t words[IOC_SLOT_WORDS])
{
    uint32_t i;
    for (i = 0; i < IOC_SLOT_WORDS; i++)
        store(p, r_slot(r, ticket, i), words[i]);
}

static void read_slot(struct ioc_port *p, struct ring r, uint32_t ticket,
                      uint32_t words[IOC_SLOT_WORDS])
{
    uint32_t i;
    for (i = 0; i < IOC_SLOT_WORDS; i++)
        words[i] = load(p, r_slot(r, ticket, i));
}

/* ---- lock-free: Vyukov's bounded queue; seq[slot] == t: free for ticket t, t + 1:
 * published, t + IOC_DEPTH: consumed. ABA-free because the SC on head fails after any write
 * to head since the LL, whatever its value, and after any interrupt in between. */
static int lockfree_enqueue(struct ioc_port *p, struct ring r,
                            const uint32_t words[IOC_SLOT_WORDS])
{
    uint32_t head;
    for (;;) {
        int32_t lag;
        head = ioc_arch_ll(&p->arch, r_head(r));
        lag = (int32_t)(load(p, r_seq(r, head)) - head);
        if (lag < 0)
            return IOC_BUSY;
        if (lag == 0 && ioc_arch_sc(&p->arch, r_head(r), head + 1u))
            break;
    }
    write_slot(p, r, head, words);
    ioc_arch_mb();  /* the slot before its publication */
    store(p, r_seq(r, head), head + 1u);
    return IOC_OK;
}

/* Shared by the lock-free and locked rings: the sequence numbers are the commit record. The
 * last store frees the slot, so a consumer that records a delivery right after returning
 * records it atomically with the commit. */
static int seq_dequeue(struct ioc_port *p, struct ring r, uint32_t words[IOC_SLOT_WORDS])
{
    uint32_t tail = load(p, r_tail(r));
    /* Exactly tail + 1: a corrupted tail then reads as an empty ring, never as stale slots. */
    if (load(p, r_seq(r, tail)) != tail + 1u)
        return IOC_EMPTY;
    ioc_arch_mb();  /* the publication before the slot */
    read_slot(p, r, tail, words);
    ioc_arch_mb();  /* the slot is read before it is freed */
    store(p, r_tail(r), tail + 1u);
    store(p, r_seq(r, tail), tail + IOC_DEPTH);
    return IOC_OK;
}

/* ---- locked: the paper's semaphore option. The lock word holds IOC_LOCK_HELD | owner epoch,
 * so a restarted owner can break a lock its previous incarnation died holding. Under the lock
 * the producer reserves (head), writes and publishes (seq) like the lock-free ring, so the
 * consumer and the restart repair are the same. */
static void lock_acquire(struct ioc_port *p, struct ring r, uint32_t token)
{
    for (;;) {
        if (ioc_arch_ll(&p->arch, r_lock(r)) != 0u)
            ioc_arch_pause(&p->arch);
        else if (ioc_arch_sc(&p->arch, r_lock(r), token))
            break;
    }
    ioc_arch_mb();
}

static void lock_release(struct ioc_port *p, struct ring r)
{
    ioc_arch_mb();
    store(p, r_lock(r), 0u);
}

static int locked_enqueue(struct ioc_port *p, struct ring r, uint32_t epoch,
                          const uint32_t words[IOC_SLOT_WORDS])
{
    uint32_t head;
    lock_acquire(p, r, IOC_LOCK_HELD | (epoch & IOC_LOCK_OWNER_MASK));
    head = load(p, r_head(r));
    if (load(p, r_seq(r, head)) != head) {
        lock_release(p, r);
        return IOC_BUSY;
    }
    store(p, r_head(r), head + 1u);
    write_slot(p, r, head, words);
    ioc_arch_mb();
    store(p, r_seq(r, head), head + 1u);
    lock_release(p, r);
    return IOC_OK;
}

/* ---- naive: plain load/store of head and tail; a producer preempted between reading head and
 * writing it back acts on a stale value (the paper's Fig. 3). */
static int naive_enqueue(struct ioc_port *p, struct ring r, const uint32_t words[IOC_SLOT_WORDS])
{
    uint32_t head = load(p, r_head(r));
    if ((int32_t)(head - load(p, r_tail(r))) >= (int32_t)IOC_DEPTH)
        return IOC_BUSY;
    write_slot(p, r, head, words);
    ioc_arch_mb();
    store(p, r_head(r), head + 1u);
    return IOC_OK;
}

static int naive_dequeue(struct ioc_port *p, struct ring r, uint32_t words[IOC_SLOT_WORDS])
{
    uint32_t tail = load(p, r_tail(r));
    if ((int32_t)(load(p, r_head(r)) - tail) <= 0)
        return IOC_EMPTY;
    ioc_arch_mb();
    read_slot(p, r, tail, words);
    ioc_arch_mb();
    store(p, r_tail(r), tail + 1u);
    return IOC_OK;
}

/* ---- hwfifo: the register block's message FIFO of the ring's channel and direction
 * (sw_model.ring.HwFifoRing; the choices are documented at IOC_HWFIFO in ioc.h). FIFO 2c
 * carries channel c's words from endpoint A to B, 2c + 1 from B to A (ioc_defs.regmap,
 * FIFO_DATA). */
struct fifo {
    uint32_t index;
    struct ring lock;   /* the shared-RAM ring whose lock word frames multi-word messages */
};

static struct fifo fifo_of(const struct ioc_chan *ch, uint32_t direction)
{
    struct fifo f;
    f.index = 2u * ch->channel + direction;
    f.lock = ring_of(ch, direction);
    return f;
}

static uint32_t fifo_level(struct ioc_port *p, struct fifo f)
{
    return IOC_FIELD_GET(IOC_FIFO_STATUS_LEVEL, reg_read(p, IOC_FIFO_STATUS_OFFSET(f.index)));
}

static int fifo_has_room(struct ioc_port *p, struct fifo f)
{
    return fifo_level(p, f) <= (IOC_DEPTH - 1u) * IOC_SLOT_WORDS;
}

#if IOC_ARCH_TRY_STORE
/* The in-flight count of a FIFO's lockless one-word sends: the head word of its shared-RAM
 * ring, which the FIFO ring does not otherwise use. */
static void inflight_add(struct ioc_port *p, struct fifo f, uint32_t delta)
{
    for (;;) {
        uint32_t n = ioc_arch_ll(&p->arch, r_head(f.lock));
        if (ioc_arch_sc(&p->arch, r_head(f.lock), n + delta))
            return;
    }
}

/* A one-word send needs no framing, so no lock; but a flush hold (the lock held by the side
 * restarting the peer) must see no push between the flush and its report. The sender counts
 * itself in flight, then checks the lock (held: it counts itself out and waits, as a framed
 * sender waits for the lock; the hold is no full ring); the hold takes the lock, then waits
 * for the count to drain: whichever comes second sees the other (each writes, then reads what
 * the other writes). */
static int hwfifo_send_word(struct ioc_port *p, struct fifo f, uint32_t word,
                            ioc_pushed_fn pushed, void *arg)
{
    int rc = IOC_BUSY;
    for (;;) {
        inflight_add(p, f, 1u);
        ioc_arch_mb();
        if (load(p, r_lock(f.lock)) == 0u)
            break;
        inflight_add(p, f, ~0u);
        while (load(p, r_lock(f.lock)) != 0u)
            ioc_arch_pause(&p->arch);
    }
    /* another producer may have filled the FIFO since the status read: refused, busy */
    if (ioc_arch_try_store(&p->arch, p->regs + IOC_FIFO_DATA_OFFSET(f.index), word)) {
        if (pushed)
            pushed(arg);
        rc = IOC_OK;
    }
    ioc_arch_mb();
    inflight_add(p, f, ~0u);
    return rc;
}
#endif

static int hwfifo_enqueue(struct ioc_port *p, struct fifo f, uint32_t epoch,
                          const uint32_t words[IOC_SLOT_WORDS], ioc_pushed_fn pushed, void *arg)
{
    uint32_t i;
    /* A full FIFO is reported before the lock is touched: a producer spinning on it writes
     * nothing while it waits for the consumer. */
    if (!fifo_has_room(p, f))
        return IOC_BUSY;
#if IOC_ARCH_TRY_STORE
    if (IOC_SLOT_WORDS == 1u)
        return hwfifo_send_word(p, f, words[0], pushed, arg);
#endif
    lock_acquire(p, f.lock, IOC_LOCK_HELD | (epoch & IOC_LOCK_OWNER_MASK));
    if (!fifo_has_room(p, f)) {  /* another producer sent since the first look */
        lock_release(p, f.lock);
        return IOC_BUSY;
    }
    for (i = 0; i < IOC_SLOT_WORDS; i++)
        reg_write(p, IOC_FIFO_DATA_OFFSET(f.index), words[i]);
    if (pushed)  /* under the lock: a flush report, which holds it, sees the log in step */
        pushed(arg);
    lock_release(p, f.lock);
    return IOC_OK;
}

static int hwfifo_dequeue(struct ioc_port *p, struct fifo f, uint32_t words[IOC_SLOT_WORDS])
{
    uint32_t i;
    if (fifo_level(p, f) < IOC_SLOT_WORDS)
        return IOC_EMPTY;  /* a message still being sent is not received in part */
    for (i = 0; i < IOC_SLOT_WORDS; i++)
        words[i] = reg_read(p, IOC_FIFO_DATA_OFFSET(f.index));
    return IOC_OK;
}

/* ---- restart repair (sw_model.ring.recover_tail, fill_holes, break_stale_lock) */

/* Re-derive tail from head and the commit record: the oldest of the last IOC_DEPTH tickets
 * that is not consumed. */
static void recover_tail(struct ioc_port *p, struct ring r)
{
    uint32_t head = load(p, r_head(r));
    uint32_t tail = head;
    uint32_t k;
    for (k = IOC_DEPTH; k > 0u; k--) {
        uint32_t ticket = head - k;
        if ((int32_t)(load(p, r_seq(r, ticket)) - (ticket + IOC_DEPTH)) < 0) {
            tail = ticket;
            break;
        }
    }
    store(p, r_tail(r), tail);
}

/* Publish a tombstone (all-zero slot) in every slot of a ring only this endpoint produces into
 * that a previous incarnation reserved but died before publishing. */
static void fill_holes(struct ioc_port *p, struct ring r)
{
    uint32_t head = load(p, r_head(r));
    uint32_t ticket = load(p, r_tail(r));
    for (; ticket != head; ticket++) {
        if (load(p, r_seq(r, ticket)) == ticket) {
            uint32_t i;
            for (i = 0; i < IOC_SLOT_WORDS; i++)
                store(p, r_slot(r, ticket, i), IOC_TOMBSTONE);
            ioc_arch_mb();
            store(p, r_seq(r, ticket), ticket + 1u);
        }
    }
}

/* Break the lock of a ring only this endpoint produces into if an older epoch holds it. */
static void break_stale_lock(struct ioc_port *p, struct ring r, uint32_t epoch)
{
    for (;;) {
        uint32_t held = ioc_arch_ll(&p->arch, r_lock(r));
        if ((held & IOC_LOCK_HELD) == 0u || (held & IOC_LOCK_OWNER_MASK) == epoch)
            return;
        if (ioc_arch_sc(&p->arch, r_lock(r), 0u))
            return;
    }
}

/* ---- public API */

void ioc_port_init(struct ioc_port *port, uintptr_t shm, uintptr_t regs)
{
    uint8_t *bytes = (uint8_t *)port;
    size_t i;
    for (i = 0; i < sizeof *port; i++)
        bytes[i] = 0;
    port->shm = shm;
    port->regs = regs;
}

void ioc_shm_format(struct ioc_port *port)
{
    uintptr_t a;
    uint32_t c, d, i;
    for (a = 0; a < IOC_SHM_BYTES; a += 4u)
        store(port, port->shm + a, 0u);
    store(port, port->shm + IOC_HEADER_MAGIC_OFFSET, IOC_SHM_MAGIC);
    store(port, port->shm + IOC_HEADER_VERSION_OFFSET, IOC_SHM_VERSION);
    store(port, port->shm + IOC_HEADER_N_CHANNELS_OFFSET, IOC_N_CHANNELS);
    store(port, port->shm + IOC_HEADER_DEPTH_OFFSET, IOC_DEPTH);
    store(port, port->shm + IOC_HEADER_SLOT_WORDS_OFFSET, IOC_SLOT_WORDS);
    for (c = 0; c < IOC_N_CHANNELS; c++) {
        for (d = 0; d < 2u; d++) {
            uintptr_t base = chan_base(port, c) + IOC_MEM_T_FIFO_OFFSET
                             + (uintptr_t)d * IOC_MEM_FIFO_BYTES;
            store(port, base + IOC_MEM_FIFO_DEPTH_OFFSET, IOC_DEPTH);
            store(port, base + IOC_MEM_FIFO_SLOT_WORDS_OFFSET, IOC_SLOT_WORDS);
            for (i = 0; i < IOC_DEPTH; i++)
                store(port, base + IOC_MEM_FIFO_SEQ_OFFSET + 4u * i, i);
        }
    }
    ioc_arch_mb();
}

int ioc_chan_init(struct ioc_chan *ch, struct ioc_port *port, uint32_t channel,
                  enum ioc_side side, enum ioc_variant variant)
{
    if (channel >= IOC_N_CHANNELS || (uint32_t)side > (uint32_t)IOC_SIDE_B
        || (uint32_t)variant >= IOC_VARIANT_COUNT)
        return IOC_EINVAL;
    ch->port = port;
    ch->channel = channel;
    ch->tx = side == IOC_SIDE_A ? IOC_A2B : IOC_B2A;
    ch->rx = side == IOC_SIDE_A ? IOC_B2A : IOC_A2B;
    ch->epoch = 0u;
    ch->variant = variant;
    return IOC_OK;
}

static uint32_t epoch_reg(struct ioc_chan *ch)
{
    return IOC_FIELD_GET(IOC_EPOCH_EPOCH, reg_read(ch->port, IOC_EPOCH_OFFSET(ch->channel)));
}

void ioc_attach(struct ioc_chan *ch, int restarted)
{
    struct ioc_port *p = ch->port;
    uintptr_t base = chan_base(p, ch->channel);
    if (restarted && (ch->variant == IOC_LOCKFREE || ch->variant == IOC_LOCKED)) {
        recover_tail(p, ring_of(ch, ch->rx));
        fill_holes(p, ring_of(ch, ch->tx));
    }
    ch->epoch = epoch_reg(ch);
    if (restarted && (ch->variant == IOC_LOCKED || ch->variant == IOC_HWFIFO))
        break_stale_lock(p, ring_of(ch, ch->tx), ch->epoch);
    if (restarted && ch->variant == IOC_HWFIFO)  /* a one-word send its predecessor died in */
        store(p, r_head(ring_of(ch, ch->tx)), 0u);
    store(p, base + IOC_MEM_T_EPOCH_OFFSET, ch->epoch);
    ioc_arch_mb();
    store(p, base + IOC_MEM_T_STATE_OFFSET, IOC_STATE_ATTACHED);
}

void ioc_detach(struct ioc_chan *ch)
{
    ioc_arch_mb();
    store(ch->port, chan_base(ch->port, ch->channel) + IOC_MEM_T_STATE_OFFSET, IOC_STATE_DOWN);
}

int ioc_peer_ready(struct ioc_chan *ch)
{
    uintptr_t base = chan_base(ch->port, ch->channel);
    uint32_t epoch = epoch_reg(ch);
    if (load(ch->port, base + IOC_MEM_T_STATE_OFFSET) != IOC_STATE_ATTACHED
        || load(ch->port, base + IOC_MEM_T_EPOCH_OFFSET) != epoch)
        return IOC_NOT_READY;
    ch->epoch = epoch;
    return IOC_OK;
}

int ioc_send_logged(struct ioc_chan *ch, const uint32_t words[IOC_SLOT_WORDS],
                    ioc_pushed_fn pushed, void *arg)
{
    struct ring r = ring_of(ch, ch->tx);
    int rc = IOC_EINVAL;
    switch (ch->variant) {
    case IOC_LOCKFREE:
        rc = lockfree_enqueue(ch->port, r, words);
        break;
    case IOC_LOCKED:
        rc = locked_enqueue(ch->port, r, ch->epoch, words);
        break;
    case IOC_NAIVE:
        rc = naive_enqueue(ch->port, r, words);
        break;
    case IOC_HWFIFO:
        return hwfifo_enqueue(ch->port, fifo_of(ch, ch->tx), ch->epoch, words, pushed, arg);
    }
    if (rc == IOC_OK && pushed)
        pushed(arg);
    return rc;
}

int ioc_send(struct ioc_chan *ch, const uint32_t words[IOC_SLOT_WORDS])
{
    return ioc_send_logged(ch, words, NULL, NULL);
}

int ioc_recv(struct ioc_chan *ch, uint32_t words[IOC_SLOT_WORDS])
{
    struct ring r = ring_of(ch, ch->rx);
    if (ch->variant == IOC_NAIVE)
        return naive_dequeue(ch->port, r, words);
    if (ch->variant == IOC_HWFIFO)
        return hwfifo_dequeue(ch->port, fifo_of(ch, ch->rx), words);
    return seq_dequeue(ch->port, r, words);
}

uint32_t ioc_drain(struct ioc_chan *ch, ioc_msg_fn fn, void *arg)
{
    uint32_t words[IOC_SLOT_WORDS];
    uint32_t n = 0;
    while (ioc_recv(ch, words) == IOC_OK) {
        fn(arg, words);
        n++;
    }
    return n;
}

void ioc_doorbell(struct ioc_chan *ch)
{
    ioc_arch_mb();  /* the message before the interrupt it announces */
    reg_write(ch->port, IOC_DOORBELL_OFFSET, IOC_FIELD_PREP(IOC_DOORBELL_CHANNEL, ch->channel));
}

uint32_t ioc_pending(struct ioc_port *port)
{
    return IOC_FIELD_GET(IOC_CH_PENDING_CH, reg_read(port, IOC_CH_PENDING_OFFSET));
}

void ioc_ack(struct ioc_port *port, uint32_t channels)
{
    reg_write(port, IOC_CH_PENDING_OFFSET, IOC_FIELD_PREP(IOC_CH_PENDING_CH, channels));
}

int ioc_tx_pending(struct ioc_chan *ch)
{
    return (int)((reg_read(ch->port, IOC_TX_PENDING_OFFSET) >> ch->channel) & 1u);
}

int ioc_wdog_kick(struct ioc_port *port, uint32_t w)
{
    if (w >= IOC_WDOG_KICK_COUNT_MAX)
        return IOC_EINVAL;
    reg_write(port, IOC_WDOG_KICK_OFFSET(w), IOC_FIELD_PREP(IOC_WDOG_KICK_KICK, 1u));
    return IOC_OK;
}

uint64_t ioc_cycles(struct ioc_port *port)
{
    uint32_t hi, lo;
    do {
        hi = reg_read(port, IOC_CYCLE_HI_OFFSET);
        lo = reg_read(port, IOC_CYCLE_LO_OFFSET);
    } while (reg_read(port, IOC_CYCLE_HI_OFFSET) != hi);
    return ((uint64_t)hi << 32) | lo;
}

/* ---- hwfifo flush accounting (sw_model.guests.IocEnv.report_flushed) */

uint32_t ioc_fifo_dropped(struct ioc_chan *ch)
{
    return IOC_FIELD_GET(IOC_FIFO_STATUS_DROPPED,
                         reg_read(ch->port, IOC_FIFO_STATUS_OFFSET(fifo_of(ch, ch->tx).index)));
}

uint32_t ioc_flushed_messages(uint32_t before, uint32_t after, int torn_front)
{
    /* DROPPED wraps at its field's width: the delta is taken in that width */
    uint32_t words = IOC_FIELD_GET(IOC_FIFO_STATUS_DROPPED,
                                   IOC_FIELD_PREP(IOC_FIFO_STATUS_DROPPED, after - before));
    return torn_front ? (words + IOC_SLOT_WORDS - 1u) / IOC_SLOT_WORDS : words / IOC_SLOT_WORDS;
}

int ioc_flush_hold(struct ioc_chan *ch, struct ioc_flush_mark *mark)
{
    if (ch->variant != IOC_HWFIFO)
        return IOC_EINVAL;
    struct fifo f = fifo_of(ch, ch->tx);
    lock_acquire(ch->port, f.lock, IOC_LOCK_HELD | (ch->epoch & IOC_LOCK_OWNER_MASK));
    while (load(ch->port, r_head(f.lock)) != 0u)  /* one-word sends that missed the lock */
        ioc_arch_pause(&ch->port->arch);
    mark->epoch = epoch_reg(ch);
    mark->dropped = ioc_fifo_dropped(ch);
    return IOC_OK;
}

uint32_t ioc_flush_count(struct ioc_chan *ch, const struct ioc_flush_mark *mark)
{
    /* a reset acts a cycle or two after its write: the epoch moves with the flush */
    while (epoch_reg(ch) == mark->epoch)
        ioc_arch_pause(&ch->port->arch);
    return ioc_flushed_messages(mark->dropped, ioc_fifo_dropped(ch), 1);
}

void ioc_flush_release(struct ioc_chan *ch)
{
    lock_release(ch->port, ring_of(ch, ch->tx));
}
