// Clock, reset and console of the Verilated SoC (soc_top).
// Usage: Vsoc_top +fw0=<hex> +fw1=<hex> [+max_cycles=N] [+trace]
// Prints each core's console output as lines "[<core>] text", a core's exit as
// "SOC-EXIT <core> <code>", and at the end one line
// "SOC-END cycles=<n> exit=<code> timeout=<0|1> wall_us=<t>" (t: the clock loop's wall time).
// With +trace, also "SOC-EV <cycle> <event> <core>" for every rising edge of a core's irq
// input (irq), trap taken (trap), and AR, R, AW and B handshake of its bridge on the IOC.
// The run ends when core 0 (the Linux role, which supervises the other) exits.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "Vsoc_top.h"
#include "verilated.h"

int main(int argc, char** argv) {
    Verilated::commandArgs(argc, argv);
    uint64_t max_cycles = 10000000;
    if (const char* arg = Verilated::commandArgsPlusMatch("max_cycles=")) {
        max_cycles = std::strtoull(arg + std::string("+max_cycles=").size(), nullptr, 0);
    }
    const bool trace = Verilated::commandArgsPlusMatch("trace")[0] != '\0';
    Vsoc_top top;
    uint8_t irq_before = 0;
    std::string line[2];
    top.clk = 0;
    top.rst = 1;
    uint64_t cycle = 0;
    bool done = false;
    uint32_t code = 0;
    const auto start = std::chrono::steady_clock::now();
    for (; cycle < max_cycles && !done; ++cycle) {
        if (cycle == 8) top.rst = 0;
        top.clk = 0;
        top.eval();
        // Outputs are sampled before the rising edge: they belong to the cycle that ends here.
        if (trace) {
            for (int k = 0; k < 2; ++k) {
                if ((top.irq >> k & 1) && !(irq_before >> k & 1))
                    std::printf("SOC-EV %llu irq %d\n", static_cast<unsigned long long>(cycle), k);
                if (top.trap >> k & 1)
                    std::printf("SOC-EV %llu trap %d\n", static_cast<unsigned long long>(cycle), k);
                const struct { uint8_t bits; const char* name; } handshakes[] = {
                    {top.ioc_ar, "ar"}, {top.ioc_r, "r"}, {top.ioc_aw, "aw"}, {top.ioc_b, "b"}};
                for (const auto& h : handshakes) {
                    if (h.bits >> k & 1)
                        std::printf("SOC-EV %llu %s %d\n", static_cast<unsigned long long>(cycle),
                                    h.name, k);
                }
            }
            irq_before = top.irq;
        }
        for (int k = 0; k < 2; ++k) {
            if ((top.console_valid >> k) & 1) {
                char c = static_cast<char>(k ? top.console_data1 : top.console_data0);
                if (c == '\n') {
                    std::printf("[%d] %s\n", k, line[k].c_str());
                    line[k].clear();
                } else {
                    line[k] += c;
                }
            }
            if ((top.exit_valid >> k) & 1) {
                uint32_t exit_code = k ? top.exit_code1 : top.exit_code0;
                std::printf("SOC-EXIT %d %u\n", k, exit_code);
                if (k == 0) {
                    done = true;
                    code = exit_code;
                }
            }
        }
        top.clk = 1;
        top.eval();
    }
    const auto wall_us = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start).count();
    for (int k = 0; k < 2; ++k) {
        if (!line[k].empty()) std::printf("[%d] %s\n", k, line[k].c_str());
    }
    std::printf("SOC-END cycles=%llu exit=%u timeout=%d wall_us=%lld\n",
                static_cast<unsigned long long>(cycle), code, done ? 0 : 1,
                static_cast<long long>(wall_us));
    top.final();
    return 0;
}
