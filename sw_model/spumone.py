"""SPUMONE model: vCPUs on agents, their scheduling, virtual interrupts and guest restart.

The hypervisor's memory-visible work (configuring the register block, taking a physical
interrupt, restarting a guest) is async code on a privileged :class:`~sw_model.cpu.CpuPort`,
run as threads of the agent, so it interleaves with the guests like the real thing. Its
decisions (which vCPU runs, when to preempt) are the :meth:`Spumone.choose` policy of the
:class:`~sw_model.sched.Runner`: priority to SimpleOS, time slices, random preemption at any
memory operation and random ``resv_clear`` pulses, all drawn from one seeded generator, so a
run is reproducible from its seed and replayable from its recorded trace.
"""

import random

from ioc_defs.regmap import Event

from .cpu import RefPort
from .regs import read_field, read_reg, write_reg
from .sched import Pulse

__all__ = ["Vcpu", "Spumone"]


class Vcpu:
    """One guest OS on one agent, with its virtual interrupt state.

    Parameters
    ----------
    name : str
        Guest name (thread names start with it).
    agent : int
        The physical CPU it runs on.
    priority : int
        0 is the highest (SimpleOS); a runnable higher-priority vCPU preempts at once.
    boot : callable
        ``boot(vcpu, port)`` returns the coroutine of the guest's first thread.

    Members
    -------
    virq : int
        Pending virtual channel interrupts (bit c: channel c).
    vevents : int
        Pending virtual events (bits of :class:`ioc_defs.regmap.Event`).
    incarnation : int
        Boots so far (1 after the first).
    """

    def __init__(self, name, agent, priority, boot):
        if not isinstance(name, str) or not name:
            raise TypeError(f"name must be a non-empty string, not {name!r}")
        if not isinstance(priority, int) or priority < 0:
            raise ValueError(f"priority must be a non-negative integer, not {priority!r}")
        self.name, self.agent, self.priority, self.boot = name, agent, priority, boot
        self.virq = self.vevents = 0
        self.incarnation = 0
        self.port = RefPort(agent)
        self.clock = None  # the virtual timer, set by the hypervisor

    def __repr__(self):
        return f"Vcpu({self.name!r}, agent={self.agent})"

    async def wait_irq(self, timeout=None):
        """Guest primitive: sleep until a virtual interrupt is pending, or ``timeout`` ticks
        (of the vCPU's virtual timer) have passed."""
        if timeout is None:
            await self.port.wait(self.pending)
            return
        deadline = self.clock() + timeout
        await self.port.wait(lambda: self.pending() or self.clock() >= deadline)

    def pending(self):
        """Whether a virtual interrupt is pending (the condition a guest waits on)."""
        return bool(self.virq or self.vevents)

    def take(self):
        """Acknowledge every pending virtual interrupt: return ``(channels, events)``."""
        taken = self.virq, self.vevents
        self.virq = self.vevents = 0
        return taken


class Spumone:
    """The hypervisor model, and the scheduling policy of its :class:`~sw_model.sched.Runner`.

    Parameters
    ----------
    runner : Runner
        Runs every thread; ``runner.system`` is the modelled hardware.
    channels : dict
        ``{channel: (vcpu A, vcpu B)}``: the IOC channels and their endpoint guests.
    supervisor : Vcpu
        The guest that receives events (watchdog expiry, peer reset, bus error).
    seed : int
        Seed of every random scheduling decision.
    slice_ops : int
        Time slice in operations: a vCPU that used it yields to another runnable vCPU.
    preempt_rate : float
        Probability of switching to another thread of the same guest at any operation.
    pulse_rate : float
        Probability of a spurious ``resv_clear`` pulse (an unrelated interrupt) per step.
    watchdog : tuple or None
        ``(period, kicker vcpu)``: watchdog 0 supervised by ``supervisor``'s agent.

    Members
    -------
    vcpus : list of Vcpu
    log : list
        ``(time, what, detail)`` records of hypervisor actions (boots, interrupts, restarts).
    """

    def __init__(self, runner, channels, supervisor, *, seed=0, slice_ops=20, preempt_rate=0.1,
                 pulse_rate=0.0, watchdog=None):
        self.runner, self.system = runner, runner.system
        self.channels, self.supervisor, self.watchdog = dict(channels), supervisor, watchdog
        self.vcpus = []
        self.log = []
        self._rng = random.Random(seed)
        self._slice, self._preempt, self._pulse = slice_ops, preempt_rate, pulse_rate
        self._owner = {}  # thread id -> Vcpu, or None for the hypervisor's own threads
        self._current = {}  # agent -> (vcpu, thread, ops used in this slice)
        self._rst_seen = 0
        runner.hooks.append(self._hook)

    @property
    def agents(self):
        return sorted({v.agent for v in self.vcpus})

    def add(self, vcpu):
        """Register a guest (before :meth:`start`)."""
        vcpu.clock = lambda: self.runner.now
        self.vcpus.append(vcpu)
        return vcpu

    def start(self):
        """Boot the hypervisor on every agent, then every guest."""
        for agent in self.agents:
            self._boot_agent(agent, first=True)

    # -- threads -------------------------------------------------------------------------------

    def spawn(self, vcpu, coro, name, agent=None):
        """Start a thread of ``vcpu``, or of the hypervisor on ``agent`` if ``vcpu`` is
        ``None``. Guest threads are named ``<guest><incarnation>.<name>``."""
        label = f"{vcpu.name}{vcpu.incarnation}.{name}" if vcpu else name
        thread = self.runner.spawn(coro, name=label, agent=vcpu.agent if vcpu else agent)
        self._owner[thread.tid] = vcpu
        return thread

    def _boot_agent(self, agent, first):
        name = f"hv{agent}.{'boot' if first else 'reboot'}@{self.runner.now}"
        self.spawn(None, self._hv_main(RefPort(agent, priv=True), first), name, agent)

    def _start_vcpu(self, vcpu):
        vcpu.incarnation += 1
        vcpu.virq = vcpu.vevents = 0
        self.log.append((self.runner.now, "boot", vcpu.name))
        self.spawn(vcpu, vcpu.boot(vcpu, vcpu.port), "main")

    def _kill_vcpu_threads(self, agent=None, vcpu=None):
        for thread in self.runner.threads:
            owner = self._owner.get(thread.tid)
            if thread.done or (vcpu is not None and owner is not vcpu):
                continue
            if agent is not None and thread.agent != agent:
                continue
            self.runner.kill(thread)

    async def _hv_main(self, port, first):
        """The hypervisor on one agent: configure, enable interrupts, start its guests, then
        serve physical interrupts for ever."""
        agent = port.agent
        if first and agent == self.supervisor.agent:
            if self.watchdog is not None:
                period, kicker = self.watchdog
                await write_reg(port, "WDOG_PERIOD", 0, PERIOD=period)
                await write_reg(port, "WDOG_CTRL", 0, ENABLE=1,
                                SUPERVISOR=self.supervisor.agent, KICK_MASK=1 << kicker.agent)
            # channels last: their ENABLE tells the other agents that setup is complete
            for c, (a, b) in self.channels.items():
                await write_reg(port, "CH_CFG", c, EP_A=a.agent, EP_B=b.agent, ENABLE=1)
        elif first:
            # the other agents wait until the supervisor's agent has configured the channels
            while not await read_field(port, "CH_CFG", "ENABLE", list(self.channels)[-1]):
                await port.pause()
        mine = sum(1 << c for c, pair in self.channels.items()
                   if any(v.agent == agent for v in pair))
        await write_reg(port, "CH_ENABLE", CH=mine)
        if agent == self.supervisor.agent:
            await write_reg(port, "EV_ENABLE", **{e.name: 1 for e in Event})
        for vcpu in self.vcpus:
            if vcpu.agent == agent:
                self._start_vcpu(vcpu)
        while True:
            await port.wait(lambda: self.system.irq(agent))
            await port.resv_clear()  # interrupt entry
            chans = await read_field(port, "CH_STATUS", "CH")
            status = await read_reg(port, "EV_STATUS")
            events = sum(status[e.name] << e for e in Event)
            if chans:
                await write_reg(port, "CH_PENDING", CH=chans)
            if events:
                await write_reg(port, "EV_PENDING", **{e.name: events >> e & 1 for e in Event})
                if events >> Event.WATCHDOG & 1:
                    await write_reg(port, "WDOG_EXPIRED", WDOG=1)
                self.supervisor.vevents |= events
            for c in range(32):
                if chans >> c & 1:
                    # single-core: both endpoints are on this agent; the receiving guest
                    # checks its ring, so both get the virtual interrupt
                    for vcpu in self.channels[c]:
                        if vcpu.agent == agent:
                            vcpu.virq |= 1 << c
            self.log.append((self.runner.now, "irq", (agent, chans, events)))

    # -- guest lifecycle -------------------------------------------------------------------------

    async def restart(self, port, vcpu):
        """Hypercall: restart guest ``vcpu`` (called from a guest thread on ``port``'s agent).

        Dual-core (``vcpu`` alone on its agent): a privileged ``AGENT_CTRL[k].RESET``; the
        agent's reset pulse kills its threads, bumps the epochs of its channels and, once
        released, the agent boots again. Single-core: the vCPU's threads are killed, a
        ``CHANNEL_RESET`` bumps each of its channels' epoch, and it boots again.
        """
        hv = RefPort(port.agent, priv=True)
        self.log.append((self.runner.now, "restart", vcpu.name))
        await hv.resv_clear()  # the hypercall is a trap
        if all(v is vcpu or v.agent != vcpu.agent for v in self.vcpus):
            await write_reg(hv, "AGENT_CTRL", vcpu.agent, RESET=1)
            return
        self._kill_vcpu_threads(vcpu=vcpu)
        for c, pair in self.channels.items():
            if vcpu in pair:
                await write_reg(hv, "CHANNEL_RESET", CHANNEL=c)
        self._start_vcpu(vcpu)

    def _hook(self, runner):
        rst = sum(1 << k for k in self.agents if self.system.agent_rst(k))
        for k in self.agents:
            if rst >> k & 1 and not self._rst_seen >> k & 1:
                self.log.append((runner.now, "agent_rst", k))
                self._kill_vcpu_threads(agent=k)
                self._current.pop(k, None)
            elif self._rst_seen >> k & 1 and not rst >> k & 1:
                self._boot_agent(k, first=False)
        self._rst_seen = rst

    # -- scheduling policy -----------------------------------------------------------------------

    def choose(self, runner, runnable):
        """Pick the next step: a random agent, then on it the hypervisor first, else the
        current vCPU until its slice ends or a higher-priority vCPU is runnable."""
        if self._pulse and self._rng.random() < self._pulse:
            return Pulse(self._rng.choice(self.agents))
        by_agent = {}
        for thread in runnable:
            by_agent.setdefault(thread.agent, []).append(thread)
        agent = self._rng.choice(sorted(by_agent))
        threads = by_agent[agent]
        hv = [t for t in threads if self._owner.get(t.tid) is None]
        if hv:
            return hv[0]
        by_vcpu = {}
        for thread in threads:
            by_vcpu.setdefault(self._owner[thread.tid], []).append(thread)
        vcpu, current, used, granted = self._current.get(agent, (None, None, 0, False))
        best = min(by_vcpu, key=lambda v: v.priority)
        if vcpu not in by_vcpu:
            vcpu, current, used, granted = best, None, 0, False
        elif used >= self._slice and len(by_vcpu) > 1:
            # slice over: another runnable vCPU gets a whole slice, whatever its priority, so
            # a spinning SimpleOS cannot starve Linux (nor the other way round)
            others = sorted((v for v in by_vcpu if v is not vcpu), key=lambda v: v.priority)
            vcpu, current, used, granted = others[0], None, 0, True
        elif best.priority < vcpu.priority and not (granted and used < self._slice):
            vcpu, current, used, granted = best, None, 0, False
        elif used >= self._slice:
            used = 0
        candidates = by_vcpu[vcpu]
        if current not in candidates or self._rng.random() < self._preempt:
            current = self._rng.choice(candidates)
        self._current[agent] = (vcpu, current, used + 1, granted)
        return current
