/* The test messages of the ring stresses (stress.c, native/harness.cpp) and the SoC scenarios:
 * the id, then words derived from it, so a slot mixed from two messages or half written is
 * caught. */
#ifndef IOC_TEST_MESSAGE_H
#define IOC_TEST_MESSAGE_H

#include "ioc.h"
#include "message_ids.h"  /* generated: IOC_MSG_SEQ_BITS */

/* The id of producer's seq-th message (never 0: 0 is a tombstone), and back. */
static inline uint32_t message_id(uint32_t producer, uint32_t seq)
{
    return (producer + 1u) << IOC_MSG_SEQ_BITS | seq;
}

static inline uint32_t message_producer(uint32_t id)
{
    return (id >> IOC_MSG_SEQ_BITS) - 1u;
}

static inline uint32_t message_seq(uint32_t id)
{
    return id & ((1u << IOC_MSG_SEQ_BITS) - 1u);
}

static inline void message_compose(uint32_t id, uint32_t words[IOC_SLOT_WORDS])
{
    uint32_t i;
    words[0] = id;
    for (i = 1; i < IOC_SLOT_WORDS; i++)
        words[i] = ~id + i;
}

/* 1 if words carry an intact message. */
static inline int message_intact(const uint32_t words[IOC_SLOT_WORDS])
{
    uint32_t i;
    for (i = 1; i < IOC_SLOT_WORDS; i++)
        if (words[i] != ~words[0] + i)
            return 0;
    return 1;
}

#endif
