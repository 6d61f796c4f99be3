"""GTKWave save files for the FST waveforms of a co-simulation run.

``write_gtkw(params, fst)`` writes ``<fst>.gtkw`` beside the waveform, with the signals a person
wants, in groups: clock and reset; per agent its AXI handshakes, ``irq``, ``resv_clear`` and
``agent_rst``; the granted access; the LL/SC reservations; the mailbox's pending, enable, epoch
and reset state. Generated internal names (``$…``) are simply not listed. Both simulators dump
the design under the scope ``ioc_subsystem``.
"""

from pathlib import Path

from amaranth.hdl import Shape
from vcd.gtkw import GTKWSave

from ioc_defs import probes
from ioc_defs.params import ADDR_WIDTH, DATA_WIDTH, TOP_NAME, IocParams
from ioc_defs.regmap import EPOCH_WIDTH, Event
from rtl.axi import AxiSignature

__all__ = ["gtkw_traces", "write_gtkw"]


# AXI signals shown per agent, in order (names from the AXI4 signature).
_AXI_SHOWN = ("awvalid", "awready", "awaddr", "awlock", "awprot", "wvalid", "wready", "wdata",
              "wstrb", "bvalid", "bready", "bresp", "arvalid", "arready", "araddr", "arlock",
              "arprot", "rvalid", "rready", "rdata", "rresp", "rlast")


def _trace(path, width):
    name = f"{TOP_NAME}.{path}" + (f"[{width - 1}:0]" if width > 1 else "")
    return ("bin" if width == 1 else "hex", name)


def gtkw_traces(params):
    """``[(group name, [(data format, trace name), ...]), ...]`` for ``params``."""
    if not isinstance(params, IocParams):
        raise TypeError(f"params must be an IocParams, not {params!r}")
    n = params.n_agents
    axi = AxiSignature(id_width=params.id_width).members
    groups = [("Clock and reset", [_trace("clk", 1), _trace("rst", 1)]),
              ("Interrupts and resets", [_trace("irq", n), _trace("resv_clear", n),
                                         _trace("agent_rst", n)])]
    for k in range(n):
        groups.append((f"Agent {k} AXI", [_trace(f"s{k}_axi_{s}", Shape.cast(axi[s].shape).width)
                                          for s in _AXI_SHOWN]))
    groups.append(("Granted access", [
        _trace(probes.access("valid"), 1), _trace(probes.access("agent"), params.agent_bits),
        _trace(probes.access("addr"), ADDR_WIDTH), _trace(probes.access("write"), 1),
        _trace(probes.access("excl"), 1), _trace(probes.access("priv"), 1),
        _trace(probes.ACCESS_REGION, 2), _trace(probes.ANSWER_RESP, 2),
        _trace(probes.ANSWER_DATA, DATA_WIDTH)]))
    granule_bits = (params.shm_bytes - 1).bit_length() - params.granule_log2
    monitor, mailbox = f"{probes.MONITOR}.", f"{probes.MAILBOX}."
    groups.append(("LL/SC reservations", [_trace(monitor + "resv_valid", n)] + [
        _trace(monitor + probes.reservation_granule(k), granule_bits) for k in range(n)]))
    state = []
    for k in range(n):
        state += [_trace(mailbox + probes.agent_state(k, "ch_pending"), params.n_channels),
                  _trace(mailbox + probes.agent_state(k, "ch_enable"), params.n_channels),
                  _trace(mailbox + probes.agent_state(k, "ev_pending"), len(Event)),
                  _trace(mailbox + probes.agent_state(k, "in_reset"), 1)]
    state += [_trace(mailbox + probes.channel_epoch(c), EPOCH_WIDTH)
              for c in range(params.n_channels)]
    groups.append(("Mailbox", state))
    return groups


def write_gtkw(params, fst):
    """Write ``<fst>.gtkw`` (next to ``fst``) and return its path."""
    fst = Path(fst)
    path = fst.with_suffix(".gtkw")
    with open(path, "w") as f:
        save = GTKWSave(f)
        save.dumpfile(str(fst.resolve()))
        save.savefile(str(path))
        save.timestart(0)
        save.size(1600, 1000)
        save.signals_width(260)
        # Initial zoom (GTKWave's log2 scale; measured): about 2 us across the wave pane.
        save.zoom_markers(-18.0, 0)
        for name, traces in gtkw_traces(params):
            with save.group(name):
                for datafmt, trace in traces:
                    save.trace(trace, datafmt=datafmt)
    return path
