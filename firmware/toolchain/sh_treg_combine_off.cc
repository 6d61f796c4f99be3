/* GCC plugin: turn off the SH back end's sh_treg_combine passes, and nothing else.
 *
 * Debian's GCC 12.2 for SH-4 (gcc-12-sh4-linux-gnu 12.2.0-13cross1) miscompiles from -O1 up:
 * sh_treg_combine takes the register a conditional branch tests against zero for a store of
 * the inverted T bit even when something else set it (a load, an OR of two comparisons), then
 * deletes that set and the test, so the branch reads whatever T the instruction before left.
 * The IOC library's argument check came out inverted and a volatile polling loop lost its load
 * (firmware/tests/sh4_treg_combine.c reproduces both; tests/test_firmware_cross.py shows the
 * compiler without this plugin failing it and with it passing).
 *
 * The cause is in the compiler's own source: sh_treg_combine.cc declares the SH predicates it
 * calls as "extern int t_reg_operand (rtx, machine_mode)" and "extern int negt_reg_operand
 * (...)", while genpreds defines them returning bool. The C++ names do not encode the return
 * type, so cc1 links; in the x86-64 cc1 the caller then tests all of %eax, the callee sets only
 * %al (negt_reg_operand leaves its caller's %rbp in bits 8-31 when the rtx code does not
 * match), and "is this an inverted T store?" answers yes for almost anything.
 *
 * The pass is a target pass registered after the options are read, so
 * -fdisable-rtl-sh_treg_combine2 is refused as an unknown pass; overriding its gate is the
 * narrowest switch there is.
 *
 * Build: g++ -shared -fPIC -fno-rtti -I$(sh4-linux-gnu-gcc -print-file-name=plugin)/include
 * Use:   sh4-linux-gnu-gcc -fplugin=./sh_treg_combine_off.so ...  (firmware.build does both) */
#include "gcc-plugin.h"
#include "plugin-version.h"
#include "tree-pass.h"

#include <cstring>

int plugin_is_GPL_compatible;

static const char PASS[] = "sh_treg_combine";  /* sh_treg_combine2 and sh_treg_combine3 */

static void override_gate(void *gate_status, void *)
{
    if (current_pass != nullptr && current_pass->name != nullptr
        && std::strncmp(current_pass->name, PASS, sizeof PASS - 1) == 0)
        *static_cast<bool *>(gate_status) = false;
}

int plugin_init(struct plugin_name_args *info, struct plugin_gcc_version *version)
{
    if (!plugin_default_version_check(version, &gcc_version))
        return 1;  /* built against another GCC: GCC refuses to run rather than guess */
    register_callback(info->base_name, PLUGIN_OVERRIDE_GATE, override_gate, nullptr);
    return 0;
}
