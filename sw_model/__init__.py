"""Pure-Python half of spumone-ioc: the reference model, the IOC protocol, SPUMONE and its guests.

Layer 1, beside the gateware (``rtl``) and never importing it nor Amaranth: every fact comes
from the definitions of layer 0 (``ioc_defs``).

Where things are:

- :mod:`~sw_model.memory` -- shared RAM + LL/SC reservation monitor (SPEC §3.3);
  :mod:`~sw_model.regblock` -- the register block (mailbox branch); :mod:`~sw_model.system` --
  both behind the address decoder, one granted beat per cycle (the cosim scoreboard);
  :mod:`~sw_model.arbiter` -- the round-robin grant order; :mod:`~sw_model.holds` -- the LL/SC
  forward-progress holds, cycle by cycle.
- :mod:`~sw_model.cpu` -- the :class:`~sw_model.cpu.CpuPort` guest code is written against, and
  its reference backend; :mod:`~sw_model.regs` -- register access by name through a port.
- :mod:`~sw_model.link` -- the :class:`~sw_model.link.Link` every backend provides per agent,
  :func:`~sw_model.link.perform` (one operation on a link) and the concurrent
  :class:`~sw_model.link.BusCpuPort`.
- :mod:`~sw_model.sched` -- the executor: the deterministic runner on any backend (its
  *system*), seeded/replayed/hand-written schedules;
  :mod:`~sw_model.explore` -- every interleaving of a small configuration.
- :mod:`~sw_model.layout` -- the shared-RAM layout (numpy dtypes, C header);
  :mod:`~sw_model.ring` -- lock-free, naive and locked rings.
- :mod:`~sw_model.history`, :mod:`~sw_model.checkers` -- recorded traffic; exactly-once and
  linearizability checkers; :mod:`~sw_model.workload` -- small ring workloads.
- :mod:`~sw_model.spumone` -- the hypervisor; :mod:`~sw_model.guests` -- Linux and SimpleOS;
  :mod:`~sw_model.scenario` -- SPEC §6 scenarios 1-4 on the reference backend.
"""
