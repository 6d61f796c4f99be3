/* ioc.h: the IOC guest library (SPUMONE inter-OS communication), for bare metal and kernels.
 *
 * The protocol of sw_model (sw_model/ring.py, sw_model/guests.py) in portable C: the four
 * ring variants (lock-free, locked, naive, hardware FIFO), channel attach/detach by epoch
 * with restart repair, doorbells, acknowledges, transmit observation, watchdog kicks and the
 * cycle counter.
 *
 * Offsets and sizes come from two generated headers, never from this file:
 *   ioc_regs.h   (from ioc_defs/regmap.py: the register block)
 *   ioc_layout.h, ioc_proto.h (from sw_model/layout.py: the shared-RAM layout, offsets)
 * The architecture header ioc_arch.h (one per target: arch/host, arch/sh4a, arch/rv32,
 * arch/rtl) provides the loads, stores, LL/SC and barriers, and whether a refused register
 * write can be seen (IOC_ARCH_TRY_STORE, ioc_arch_try_store); nothing else is target
 * specific.
 *
 * No allocation and no global state: every function works on the objects the caller passes.
 * One struct ioc_port per execution context (CPU, or thread when threads share a CPU): on the
 * host shim it carries that context's reservation. */
#ifndef IOC_H
#define IOC_H

#include <stddef.h>
#include <stdint.h>

#if defined(__cplusplus) && !defined(_Static_assert)
#define _Static_assert static_assert  /* the generated headers check their layout in C11 */
#endif

#include "ioc_proto.h"
#include "ioc_regs.h"
#include "ioc_arch.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Results. Negative values are errors; the call changed nothing. */
enum ioc_status {
    IOC_OK = 0,
    IOC_BUSY = 1,        /* send: the ring is full (back-pressure); nothing was overwritten */
    IOC_EMPTY = 2,       /* receive: no message is ready */
    IOC_NOT_READY = 3,   /* the peer has not attached at the current epoch */
    IOC_EINVAL = -1      /* a bad argument (channel, side, variant, watchdog index) */
};

/* The enqueue/dequeue variants of sw_model.ring, by the same names (values and names generated
 * from firmware.headers.C_VARIANTS into ioc_proto.h). */
enum ioc_variant {
    IOC_LOCKFREE = IOC_VARIANT_LOCKFREE, /* slots reserved by LL/SC on head, published by seq */
    IOC_LOCKED = IOC_VARIANT_LOCKED,     /* slots reserved under an LL/SC spinlock, same commit */
    IOC_NAIVE = IOC_VARIANT_NAIVE,       /* plain load/store of head: the negative control */
    IOC_HWFIFO = IOC_VARIANT_HWFIFO      /* the register block's message FIFO (below) */
};

/* IOC_HWFIFO (sw_model.ring.HwFifoRing): a message of IOC_SLOT_WORDS words goes through the
 * message FIFO of the ring's channel and direction (FIFO_DATA / FIFO_STATUS, SPEC 3.5) instead
 * of the shared-RAM slots. The configuration needs message FIFOs of at least IOC_DEPTH *
 * IOC_SLOT_WORDS words (fifo_depth; exactly that many to bound the ring at IOC_DEPTH messages
 * when one-word sends race), and only the FIFO's sender (the channel's endpoint A for A to B)
 * may send: every producer of a ring runs on that agent. The ring holds IOC_DEPTH messages:
 * ioc_send is IOC_BUSY while FIFO_STATUS.LEVEL shows no room for a whole message, and
 * ioc_recv is IOC_EMPTY until a whole message is in. A message of more than one word is sent
 * under the ring's spinlock (the locked ring's lock word, owner = the sender's epoch) after
 * FIFO_STATUS showed room before and again under the lock, so the words of two producers never
 * interleave; the lock holder alone sends and only the consumer removes words, so its writes
 * are never refused. A one-word message needs no lock where the architecture layer can see a
 * refused write (IOC_ARCH_TRY_STORE: the host shim and the RTL harness): a write that finds
 * the FIFO full since the status read gets SLVERR, which is back-pressure (IOC_BUSY). On real
 * CPUs (sh4a, rv32) a SLVERR is a bus-error exception, so there every message, one word or
 * more, is sent under the lock and no FIFO write can be refused. A restarted endpoint has no
 * words to repair (the FIFO keeps them in order; the reset of an endpoint flushes its
 * channel's FIFOs, a half-sent message with them, FIFO_STATUS.DROPPED counting the words),
 * but breaks its send ring's lock if its previous incarnation died holding it, as the locked
 * ring's owner does.
 *
 * Flush accounting (sw_model.guests.IocEnv, the same rule): a reset of an endpoint flushes its
 * channel's FIFOs, and every message flushed is reported to its sender as dropped, never lost
 * silently. A FIFO is in order and only its consumer removes words, from the front, so the
 * words a flush drops (the FIFO_STATUS.DROPPED delta) are the newest words pushed. Every
 * sender keeps a log of the messages it pushed into the FIFO (ioc_send_logged's pushed
 * callback, called in the step the last word is accepted, under the lock of a framed
 * message), and after the flush reports the newest messages of that log flushed:
 *  - the side that restarts its peer (the monitor, on the FIFO's sender side) makes the
 *    restart its critical section: ioc_flush_hold takes the send lock of its FIFO and notes
 *    EPOCH and DROPPED; it resets the peer; ioc_flush_count waits for the epoch to move (the
 *    flush acts with it) and returns ceil(delta / IOC_SLOT_WORDS), the consumer having maybe
 *    died half-way through reading the oldest; the caller reports that many of the newest
 *    messages of its log flushed and clears the log; ioc_flush_release. Holding the lock, no
 *    producer is half-way through a framed message at the flush, and nothing is pushed
 *    between the flush and the report.
 *  - a restarted sender reports for its dead predecessor, at boot before it sends anything,
 *    ioc_flushed_messages(last DROPPED it read, ioc_fifo_dropped(), 0) messages of the log
 *    its predecessor left (its last message, maybe half-sent, is not in the log).
 * One-word messages sent without the lock (IOC_ARCH_TRY_STORE targets) respect the hold too:
 * such a sender counts itself in flight (LL/SC on its ring's head word, which the FIFO ring
 * does not otherwise use), then pushes only if the lock is free (else it counts itself out
 * and waits for the lock to be free, as a framed sender waits for it), then counts itself out; ioc_flush_hold takes the lock, then waits for the count to drain. Each side
 * writes, then reads what the other writes, so a sender that missed the lock is waited for
 * and a later one sees it: nothing is pushed between the flush and the report. A restarted
 * endpoint clears the count of its send ring (its predecessor may have died counted in). On
 * sh4a and rv32 every send is framed under the lock. The reference model (sw_model's
 * scenarios send two-word messages) does not model this count.
 * A sender's push log must be appended in the step its message goes in (the pushed
 * callback): a restarted sender's floor count assumes its predecessor's log holds every
 * message it pushed but its last half-sent one. */

/* Endpoint of a channel: A sends on IOC_A2B and receives on IOC_B2A, B the other way. */
enum ioc_side { IOC_SIDE_A = 0, IOC_SIDE_B = 1 };

/* One execution context's view of the subsystem. */
struct ioc_port {
    uintptr_t shm;             /* where this context sees the shared RAM (IOC_SHM_BASE on the bus) */
    uintptr_t regs;            /* where this context sees the register block (IOC_REG_BASE) */
    struct ioc_arch arch;      /* target state (host shim: the reservation; RTL harness: the bus) */
};

/* One endpoint of one channel. */
struct ioc_chan {
    struct ioc_port *port;
    uint32_t channel;
    uint32_t tx, rx;           /* ring indices (IOC_A2B / IOC_B2A) this endpoint sends / receives on */
    uint32_t epoch;            /* epoch this endpoint attached at (lock owner of the locked ring) */
    enum ioc_variant variant;
};

/* Called with each message drained by ioc_drain. */
typedef void (*ioc_msg_fn)(void *arg, const uint32_t words[IOC_SLOT_WORDS]);

/* Fill in a port. */
void ioc_port_init(struct ioc_port *port, uintptr_t shm, uintptr_t regs);

/* Write the initial shared-RAM image (header, every channel DOWN at epoch 0, every ring
 * empty): what the hypervisor does once before any guest runs. */
void ioc_shm_format(struct ioc_port *port);

/* Bind an endpoint; IOC_EINVAL on a bad channel, side or variant (ch left untouched). */
int ioc_chan_init(struct ioc_chan *ch, struct ioc_port *port, uint32_t channel,
                  enum ioc_side side, enum ioc_variant variant);

/* Endpoint B (the receiving guest) attaches at the channel's current EPOCH register value.
 * restarted != 0: a previous incarnation of this guest used the channel and may have died
 * anywhere; its rings are repaired first (lock-free and locked: the receive ring's tail is
 * re-derived from the commit record, reserved but unpublished slots of the send ring are
 * published as tombstones, and a send-ring lock held by an older epoch is broken; naive: no
 * commit record, the indices are trusted; hwfifo: only the send ring's stale lock is broken).
 * Then epoch and ATTACHED
 * are published. */
void ioc_attach(struct ioc_chan *ch, int restarted);

/* Mark the channel DOWN (endpoint B leaves, e.g. before a controlled reboot). */
void ioc_detach(struct ioc_chan *ch);

/* Endpoint A: IOC_OK (and ch->epoch updated) if the peer is ATTACHED at the current epoch,
 * IOC_NOT_READY otherwise. */
int ioc_peer_ready(struct ioc_chan *ch);

/* Enqueue one message of IOC_SLOT_WORDS words: IOC_OK or IOC_BUSY (full). No doorbell. */
int ioc_send(struct ioc_chan *ch, const uint32_t words[IOC_SLOT_WORDS]);

/* Called by ioc_send_logged once the message is in (hwfifo: in the step its last word is
 * accepted, before the lock of a framed message is released): where a sender appends it to
 * its push log (flush accounting, at IOC_HWFIFO above). */
typedef void (*ioc_pushed_fn)(void *arg);

/* ioc_send, calling pushed(arg) (if not NULL) once the message is in. */
int ioc_send_logged(struct ioc_chan *ch, const uint32_t words[IOC_SLOT_WORDS],
                    ioc_pushed_fn pushed, void *arg);

/* Dequeue the oldest message: IOC_OK (words filled in) or IOC_EMPTY. */
int ioc_recv(struct ioc_chan *ch, uint32_t words[IOC_SLOT_WORDS]);

/* Dequeue until empty, calling fn for each message; returns how many. */
uint32_t ioc_drain(struct ioc_chan *ch, ioc_msg_fn fn, void *arg);

/* Ring the channel's doorbell (sets the peer's CH_PENDING bit). */
void ioc_doorbell(struct ioc_chan *ch);

/* The caller's pending doorbells (CH_PENDING), and their acknowledge (write 1 to clear). */
uint32_t ioc_pending(struct ioc_port *port);
void ioc_ack(struct ioc_port *port, uint32_t channels);

/* Transmit observation: 1 while the last doorbell on ch is still pending at the peer. */
int ioc_tx_pending(struct ioc_chan *ch);

/* Kick watchdog w (IOC_EINVAL if w is beyond the register map's maximum). */
int ioc_wdog_kick(struct ioc_port *port, uint32_t w);

/* The free-running 64-bit cycle counter, consistent across the two 32-bit reads. */
uint64_t ioc_cycles(struct ioc_port *port);

/* ---- IOC_HWFIFO flush accounting (the rule is at IOC_HWFIFO above) */

/* What ioc_flush_hold saw before the restart. */
struct ioc_flush_mark {
    uint32_t epoch;     /* EPOCH of the channel */
    uint32_t dropped;   /* FIFO_STATUS.DROPPED of ch's send FIFO */
};

/* FIFO_STATUS.DROPPED of ch's send FIFO: words dropped by flushes since reset (wraps). */
uint32_t ioc_fifo_dropped(struct ioc_chan *ch);

/* Messages flushed, given DROPPED before and after a flush: ceil(delta / IOC_SLOT_WORDS) if
 * torn_front (the consumer may have been half-way through reading the oldest), else
 * floor (the sender may have died half-way through sending the newest). */
uint32_t ioc_flushed_messages(uint32_t before, uint32_t after, int torn_front);

/* Before resetting ch's peer: take the send lock of ch's FIFO (producers are held off; the
 * lock owner is ch->epoch), wait for lockless one-word sends in flight, and note EPOCH and
 * DROPPED in mark. IOC_EINVAL (nothing done) unless ch is IOC_HWFIFO. */
int ioc_flush_hold(struct ioc_chan *ch, struct ioc_flush_mark *mark);

/* After the reset was requested, the lock still held: wait until the epoch moved, then
 * return how many of the newest messages pushed into ch's FIFO the flush dropped. */
uint32_t ioc_flush_count(struct ioc_chan *ch, const struct ioc_flush_mark *mark);

/* Release the send lock ioc_flush_hold took (after the flushed messages were reported). */
void ioc_flush_release(struct ioc_chan *ch);

#ifdef __cplusplus
}
#endif

#endif /* IOC_H */
