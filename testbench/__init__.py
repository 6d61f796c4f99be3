"""Layer 2: the testbench library.

Everything the suites and entry points (``cosim``, ``bench``, ``verify``) build on: building and
running simulations (:mod:`~testbench.runner`), the cocotb testbench (:mod:`~testbench.tb`) with
its bus managers (cocotbext-axi, :mod:`~testbench.raw_axi`), scoreboard, AXI protocol checker
and functional coverage (:mod:`~testbench.coverage_monitor`, :mod:`~testbench.covergroups`),
the RTL as a backend of the executor (:mod:`~testbench.live`) and its links (cocotb:
:mod:`~testbench.bus_port`; amaranth.sim: :mod:`~testbench.amaranth_link`), the oracles of the
fuzz (:mod:`~testbench.fuzz`) and the soak (:mod:`~testbench.soak`), and the benchmark
workloads (:mod:`~testbench.bench_workload`).
"""
