/* Links the IOC library for RV32 with picolibc: one send and one receive through a ring in
 * ordinary RAM (the build proves the library is complete and freestanding on this target;
 * the RISC-V cores in simulation are a later issue). */
#include "ioc.h"

static uint32_t shm[(IOC_SHM_BYTES + 3u) / 4u];
static uint32_t regs[IOC_REG_SIZE / 4u];

int main(void)
{
    struct ioc_port port;
    struct ioc_chan a, b;
    uint32_t out[IOC_SLOT_WORDS] = {1u}, in[IOC_SLOT_WORDS];
    ioc_port_init(&port, (uintptr_t)shm, (uintptr_t)regs);
    ioc_shm_format(&port);
    ioc_chan_init(&a, &port, 0, IOC_SIDE_A, IOC_LOCKFREE);
    ioc_chan_init(&b, &port, 0, IOC_SIDE_B, IOC_LOCKFREE);
    ioc_attach(&b, 0);
    if (ioc_send(&a, out) != IOC_OK || ioc_recv(&b, in) != IOC_OK)
        return 1;
    return in[0] == out[0] ? 0 : 1;
}
