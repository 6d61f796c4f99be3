"""Native soak: the C library against the Verilated RTL, run after run (``make soak-native``).

Each run is drawn from a seed: scenario (many producers with preemption, or the same with the
consumer's agent restarted through ``AGENT_CTRL`` again and again), correct variant (lock-free,
locked, or the hardware FIFO, whose restarts flush it: the flushed messages are reported to
their senders, and a slow consumer keeps some in it), producers, messages, preemption rate,
ring depth. Every run is judged by the
Python checkers from its history (:func:`firmware.native.run`). The paper's Fig. 3 schedule
runs on all three variants: the naive ring must lose a message and the checker must say so
(the negative control); the lock-free and locked rings must lose none.
"""

import random

from sw_model.ring import VARIANTS as RING_VARIANTS
from testbench.soak import RunVerdict, SoakTotals

from .native import run

__all__ = ["soak_config", "verdict", "soak"]


def soak_config(index, seed):
    """The keyword arguments of run ``index`` of soak ``seed``: reproducible from the two."""
    rng = random.Random(f"native:{seed}:{index}")
    restart = index % 2 == 1
    variant = ("lockfree", "locked", "hwfifo")[index // 2 % 3]
    return {"scenario": "restart" if restart else "stress", "variant": variant,
            "producers": rng.randint(2, 6), "messages": rng.randint(50, 400),
            "seed": rng.getrandbits(31), "switch_rate": rng.uniform(0.0, 0.3),
            "restarts": rng.randint(2, 12) if restart else 0, "depth": rng.choice([2, 4]),
            "consumer_lag": rng.randint(0, 60) if RING_VARIANTS[variant].in_registers else 0}


def verdict(config, result):
    """The :class:`testbench.soak.RunVerdict` of one harness run (a :class:`~firmware.native.
    NativeRun`), for the soak's one totals record, :class:`testbench.soak.SoakTotals`."""
    s = result.summary
    return RunVerdict(config, restarts=s["restarts"], channels=result.conservation,
                      rings_linearized=int(result.linearizable is True),
                      rings_undecided=int(result.linearizable is None), cycles=s["cycles"],
                      wall=s["wall"], failures=list(result.failures))


def soak(runs, seed=0, *, progress=print):
    """Fig. 3 on every variant, then ``runs`` random runs; returns the random runs' totals (a
    :class:`testbench.soak.SoakTotals`, a failed Fig. 3 check among its ``failed_runs``) and
    ``{variant: messages Fig. 3 lost}``."""
    totals = SoakTotals()
    fig3 = {}
    for variant in ("naive", "lockfree", "locked"):
        result = run("fig3", variant, seed=seed)
        fig3[variant] = result.delivery.lost
        detected = bool(result.delivery.lost) and not result.ok
        if (variant == "naive") != detected:
            totals.failed_runs.append(({"scenario": "fig3", "variant": variant},
                                       result.failures or ["the naive ring's loss was not seen"]))
        progress(f"fig3 {variant}: lost {[hex(m) for m in result.delivery.lost]} "
                 f"({'detected' if detected else 'none'})")
    for index in range(runs):
        config = soak_config(index, seed)
        result = run(**config)
        totals.add(verdict(config, result))
        s = result.summary
        progress(f"run {index}: {config['scenario']} {config['variant']} "
                 f"producers={config['producers']} depth={config['depth']} "
                 f"messages={s['messages']} delivered={s['delivered']} "
                 f"restarts={s['restarts']} cycles={s['cycles']} "
                 f"cycles/s={s['cycles_per_s']:.0f} {'ok' if result.ok else result.failures}")
    return totals, fig3
