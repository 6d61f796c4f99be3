/* What the IOC scenarios of the SoC share (scen.c): the IOC library's port of each core, the
 * scratch words the two cores synchronise on, the event log the Python checker reads, bounded
 * waits, and the trap dispatch to the scenario's handlers.
 *
 * Core 0 (Linux role, privileged) formats the shared RAM and configures the channels (endpoint
 * A = core 0, B = core 1); core 1 (SimpleOS role) attaches as endpoint B by epoch. Every message
 * is logged as it is sent, enqueued, refused, delivered or found corrupt; the log goes
 * to the console as lines "H <kind> <thread> <channel> <direction> <id in hex>" (soc.check
 * rebuilds the history from them and judges it with sw_model.checkers). */
#ifndef SCEN_H
#define SCEN_H

#include <stdint.h>

#include "ioc.h"
#include "message.h"
#include "soc.h"

/* Polling bound of every wait, so that a broken scenario fails instead of hanging. */
#define SCEN_WAIT_LIMIT 2000000u
/* Reply ids: the id of the message replied to, with this bit set. */
#define SCEN_REPLY 0x80000000u

/* Words the two cores synchronise on, in the shared RAM after the IOC layout (each scenario
 * gives them its own meaning; all start at zero, as the shared RAM does). */
#define SCEN_SCRATCH_WORDS 16u
#define SCEN_SCRATCH_OFFSET ((IOC_SHM_BYTES + 63u) & ~63u)
_Static_assert(SCEN_SCRATCH_OFFSET + 4u * SCEN_SCRATCH_WORDS <= SOC_SHM_BYTES,
               "the scratch words fit in the shared RAM after the IOC layout");
#define SCRATCH ((volatile uint32_t *)(SOC_SHM_BASE + SCEN_SCRATCH_OFFSET))
/* Scratch words every scenario uses. */
enum { SCR_FORMATTED, SCR_FLUSHED, SCR_FIRST_FREE };

/* Event kinds, as sw_model.history names them. */
enum scen_kind { EV_SEND, EV_ENQ, EV_BUSY, EV_DELIVER, EV_CORRUPT };

/* This core's view of the IOC subsystem. */
extern struct ioc_port scen_port;
/* 1: log lines are printed at once (a core that may crash), 0: kept until scen_flush. */
extern int scen_log_live;

/* The scenario's handlers, called from the trap handler: the machine external interrupt, and
 * any exception (default: report it and stop the run). */
void scen_irq(void);
void scen_exception(uint32_t mcause, uint32_t mepc);

void scen_log(enum scen_kind kind, const char *thread, uint32_t channel, uint32_t direction,
              uint32_t id);
/* Print the kept log. */
void scen_flush(void);
/* Core 1 at its end: print the log, tell core 0 (SCRATCH[SCR_FLUSHED]) and idle. */
__attribute__((noreturn)) void scen_simpleos_done(void);
/* Core 0 at its end, after its "result " key=value pairs: add both cores' SC-failure counters
 * and end the line, print the log, then PASS or FAIL; returns the exit code. */
int scen_linux_done(int ok);

uint32_t scen_cycle(void);
/* Wait until SCRATCH[word] == value; 0 on timeout (printed). */
int scen_wait(uint32_t word, uint32_t value);
/* Burn about n loop iterations (the Fig. 3 sweep). */
void scen_delay(uint32_t n);

/* Core 0: format the shared RAM, configure channels [0, n) (A = core 0, B = core 1), bind
 * ch[c] as endpoint A and wait until core 1 has attached every one; 0 on timeout. */
int scen_linux_setup(struct ioc_chan *ch, uint32_t n, enum ioc_variant variant);
/* Core 1: wait for the format, bind ch[c] as endpoint B, attach by epoch (restarted: repair
 * first), enable the channels' doorbells and the external interrupt; 0 on timeout. */
int scen_simpleos_setup(struct ioc_chan *ch, uint32_t n, enum ioc_variant variant,
                        int restarted);

/* A message received on (channel, direction) by thread: check it and log it, as "deliver", or
 * as "corrupt" when its words are no intact message. Ids are message_id(stream, seq) (a reply:
 * SCEN_REPLY | the id replied to) and next[] holds each stream's next seq. Returns the number of
 * messages of its stream skipped (lost) before it; a corrupt, phantom, duplicated or reordered
 * one counts in *bad. */
uint32_t scen_received(const char *thread, uint32_t channel, uint32_t direction,
                       const uint32_t words[IOC_SLOT_WORDS], uint32_t *next, uint32_t streams,
                       uint32_t *bad);

#endif
