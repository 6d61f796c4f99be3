"""Reading the subsystem's internal probes (:mod:`ioc_defs.probes`) from a cocotb DUT: the one
reader of the granted access and its answer that the scoreboard and the coverage monitor share.
"""

from ioc_defs import probes
from ioc_defs.params import Region

__all__ = ["Probes"]

# field of the granted access -> (key in the record, type)
_FIELDS = {"agent": ("agent", int), "addr": ("addr", int), "write": ("write", bool),
           "w_data": ("data", int), "w_strb": ("strb", int), "size": ("size", int),
           "lock": ("lock", bool), "excl": ("excl", bool), "priv": ("priv", bool)}
assert set(_FIELDS) | {"valid"} == set(probes.ACCESS_FIELDS)


class Probes:
    """Handles of the probes of ``dut`` (an ``ioc_subsystem`` toplevel), found once.

    Members
    -------
    arbiter, monitor, mailbox : cocotb handle
        The round-robin arbiter's, the LL/SC monitor's and the register block's scopes.
    """

    def __init__(self, dut):
        self._valid = getattr(dut, probes.access("valid"))
        self._fields = [(key, kind, getattr(dut, probes.access(field)))
                        for field, (key, kind) in _FIELDS.items()]
        self._region = getattr(dut, probes.ACCESS_REGION)
        self._answer_resp = getattr(dut, probes.ANSWER_RESP)
        self._answer_data = getattr(dut, probes.ANSWER_DATA)
        self._bus_error = getattr(dut, probes.BUS_ERROR)
        self.arbiter = getattr(dut, probes.ARBITER)
        self.monitor = getattr(dut, probes.MONITOR)
        self.mailbox = getattr(dut, probes.MAILBOX)
        self._dut = dut

    def frontend(self, agent):
        """The scope of agent ``agent``'s front end."""
        return getattr(self._dut, probes.frontend(agent))

    def access(self):
        """The access granted this cycle, or ``None``: a dict with ``agent``, ``addr``,
        ``write``, ``data``, ``strb``, ``size``, ``lock``, ``excl``, ``priv`` and ``region``."""
        if not int(self._valid.value):
            return None
        acc = {key: kind(int(handle.value)) for key, kind, handle in self._fields}
        acc["region"] = Region(int(self._region.value))
        return acc

    def answer(self, *, data=True):
        """``(resp, data)``: the target's answer to the access granted in the previous cycle.
        With ``data=False`` (a write's answer, whose data lines may be undefined) data is 0."""
        return (int(self._answer_resp.value),
                int(self._answer_data.value) if data else 0)

    def bus_error(self):
        """The front ends' error pulses, one bit per agent."""
        return int(self._bus_error.value)
