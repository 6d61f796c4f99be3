/* Reduced reproducer of the SH-4 GCC 12.2 miscompilation that firmware/toolchain/
 * sh_treg_combine_off.cc works around: from -O1 up, the sh_treg_combine pass deletes the set of
 * a register that a branch tests against zero (taking it for a store of the inverted T bit)
 * together with the test, and the branch reads a stale T. Every case is defined C with one
 * right answer; the program prints each wrong one and exits with their number. The shapes are
 * the library's own: an argument check (ioc_chan_init) and a flag polled around a call (the
 * stress's wait for its producers). */
#include "os.h"

static volatile unsigned flag;
static unsigned calls, zeros;

struct args {
    unsigned channel, side, variant;
};

static void say(const char *text)
{
    size_t n = 0;
    while (text[n])
        n++;
    os_write(text, n);
}

/* The flag is set by the third call. */
__attribute__((noipa)) static void tick(void)
{
    if (++calls == 3u)
        flag = 1u;
}

/* Miscompiled: the load of flag vanished, the loop tested the T bit tick left. */
__attribute__((noipa)) static unsigned wait_flag(void)
{
    unsigned polls = 0;
    while (!flag && polls < 100u) {
        polls++;
        tick();
    }
    return polls;
}

/* Miscompiled: side > 1 dropped, variant > 2 inverted (ioc_chan_init's check). */
__attribute__((noipa)) static int check_args(struct args *out, unsigned channel, unsigned side,
                                             unsigned variant)
{
    if (channel >= 8u || side > 1u || variant > 2u)
        return -1;
    out->channel = channel;
    out->side = side;
    out->variant = variant;
    return 0;
}

__attribute__((noipa)) static void note_zero(void)
{
    zeros++;
}

/* Miscompiled: no load of *p, a branch on the T bit the caller left. */
__attribute__((noipa)) static int is_zero(const unsigned *p)
{
    if (*p == 0u) {
        note_zero();
        return 1;
    }
    return 2;
}

int test_main(void)
{
    static const unsigned args[][4] = {
        {0, 0, 0, 0}, {7, 1, 2, 0}, {8, 0, 0, 1}, {0, 2, 0, 1}, {0, 0, 3, 1}};
    struct args out;
    unsigned zero = 0u, five = 5u, i;
    int wrong = 0;
    if (wait_flag() != 3u) {
        say("wait_flag: the polled load was dropped\n");
        wrong++;
    }
    for (i = 0; i < sizeof args / sizeof args[0]; i++)
        if (check_args(&out, args[i][0], args[i][1], args[i][2]) != (args[i][3] ? -1 : 0)) {
            say("check_args: a range check inverted or dropped\n");
            wrong++;
        }
    if (is_zero(&zero) != 1 || is_zero(&five) != 2) {
        say("is_zero: the loaded value was never tested\n");
        wrong++;
    }
    if (!wrong)
        say("sh_treg_combine reproducer: all right\n");
    return wrong;
}
