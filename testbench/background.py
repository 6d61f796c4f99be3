"""The start/stop life cycle every always-on observer of the testbench shares."""

import cocotb

__all__ = ["Background"]


class Background:
    """Runs the subclass's ``async _run()`` as a cocotb task between :meth:`start` and
    :meth:`stop` (the scoreboard, the protocol checkers, the coverage monitor)."""

    _task = None

    def start(self):
        self._task = cocotb.start_soon(self._run())

    def stop(self):
        if self._task is not None:
            self._task.cancel()
            self._task = None
