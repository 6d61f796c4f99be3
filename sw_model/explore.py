"""Exhaustive exploration of every interleaving of a small configuration.

Breadth-first search over the states reached by schedules (sequences of thread steps), with
states merged by :meth:`~sw_model.sched.Runner.state_key`: two schedules that leave the memory,
the reservations and every thread's own history of operations and results equal cannot be told
apart by anything that follows. Each state is reached by replaying its shortest schedule on a
fresh model (coroutines cannot be copied), so the first failing end state found comes with a
shortest counterexample.
"""

from dataclasses import dataclass

__all__ = ["ExploreResult", "explore", "narrate"]


@dataclass
class ExploreResult:
    """What :func:`explore` found.

    Members
    -------
    states : int
        Distinct states reached.
    end_states : int
        States where no thread can run (finished, or blocked for ever).
    schedules : int or None
        Distinct complete schedules (root-to-end paths in the state graph); ``None`` if some
        schedules never end (the graph has a cycle).
    failures : int
        End states the check rejected.
    counterexample : tuple or None
        A shortest schedule (thread ids) that ends in a rejected state.
    verdict : object
        What the check said about the counterexample.
    """
    states: int = 0
    end_states: int = 0
    schedules: int = 0
    failures: int = 0
    counterexample: tuple | None = None
    verdict: object = None


def explore(build, check, *, max_states=200_000, stop_at_first=False):
    """Explore every schedule of the model ``build()`` returns.

    Parameters
    ----------
    build : callable
        Returns ``(runner, context)``: a fresh :class:`~sw_model.sched.Runner` with its threads
        spawned, and whatever ``check`` needs.
    check : callable
        ``check(runner, context)`` at an end state: ``None`` if it is correct, else a verdict.
    max_states : int
        Give up with :class:`RuntimeError` beyond this many states.
    stop_at_first : bool
        Return at the first failing end state (which has a shortest schedule).
    """
    root, _ = build()
    root_key = root.state_key()
    seen = {root_key}
    successors = {}
    result = ExploreResult()
    frontier = [((), root_key)]
    while frontier:
        following = []
        for schedule, key in frontier:
            runner, context = build()
            last = {tid: i for i, tid in enumerate(schedule)}
            for i, tid in enumerate(schedule):
                runner.step(tid, track=last[tid] == i)
            runnable = runner.runnable()
            if not runnable:
                result.end_states += 1
                verdict = check(runner, context)
                if verdict is not None:
                    result.failures += 1
                    if result.counterexample is None:
                        result.counterexample, result.verdict = schedule, verdict
                        if stop_at_first:
                            result.states = len(seen)
                            return result
            children = []
            for thread in runnable:
                child = runner.peek_key(thread)
                children.append(child)
                if child not in seen:
                    seen.add(child)
                    following.append((schedule + (thread.tid,), child))
            successors[key] = children
            if len(seen) > max_states:
                raise RuntimeError(f"more than {max_states} states")
        frontier = following
    result.states = len(seen)
    result.schedules = _count_paths(root_key, successors)
    return result


def _count_paths(root, successors):
    """Root-to-end paths in the state graph, or ``None`` if it has a cycle (a livelock: some
    schedules never end, for example two threads on one agent clearing each other's
    reservations for ever)."""
    paths, on_path = {}, set()
    stack = [(root, False)]
    while stack:
        key, expanded = stack.pop()
        if expanded:
            on_path.discard(key)
            children = successors.get(key, ())
            paths[key] = sum(paths[c] for c in children) if children else 1
            continue
        if key in paths:
            continue
        if key in on_path:
            return None
        on_path.add(key)
        stack.append((key, True))
        for child in successors.get(key, ()):
            if child in on_path:
                return None
            if child not in paths:
                stack.append((child, False))
    return paths[root]


def narrate(build, schedule, name_of=hex):
    """Replay ``schedule`` on ``build()`` and describe each step, one line per operation, e.g.
    ``"P0: load chan[0].fifo[0].head -> 0"``; ``name_of`` names an address."""
    runner, _ = build()
    lines = []
    for tid in schedule:
        thread = runner.threads[tid]
        op = thread.pending
        before = len(runner.trace)
        runner.step(tid)
        text = f"{thread.name}: {op.kind}"
        if op.kind in ("load", "store", "movli", "movco"):
            text += f" {name_of(op.arg)}"
        if op.kind in ("store", "movco"):
            text += f" := {op.value:#x}"
        if op.kind in ("load", "movli", "movco"):
            text += f" -> {thread.last_result!r}"
        lines.append(f"{before:3d} {text}")
    return lines
