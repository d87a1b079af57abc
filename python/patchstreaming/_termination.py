"""SIGTERM and SIGHUP while an output is written: its partial files are removed before the
process ends by the signal, as they are on Ctrl-C (KeyboardInterrupt) and as the command-line
tool removes its own."""
from __future__ import annotations

import contextlib
import signal
import threading
from typing import Callable, Dict, Iterator, List

_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
_DEFERRED = (signal.SIGINT,) + _SIGNALS


class Terminated(BaseException):
    """Raised in the main thread by SIGTERM or SIGHUP while ``ending_by_signal_after_cleanup`` is
    active; a BaseException, as KeyboardInterrupt, so that ``except Exception`` does not take it."""

    def __init__(self, signal_number: int):
        super().__init__(f"ended by {signal.Signals(signal_number).name} while writing")
        self.signal_number = signal_number


@contextlib.contextmanager
def ending_by_signal_after_cleanup() -> Iterator[None]:
    """While active, SIGTERM and SIGHUP raise ``Terminated`` in the main thread (at its next Python
    step: a batch's callback in a running pipeline), so that the ``finally`` blocks inside remove
    what they wrote; on leaving, the default handler is restored and the signal raised again, so
    the process ends as it would have (its exit status names the signal). Only a signal whose
    handler is the default is taken (a program's own handler, or one ignored by ``nohup``, is
    left alone), and only in the main thread (where Python runs handlers). The signal is
    remembered as well as raised, for the case where the exception is lost on its way out (an
    error raised inside an ITK callback is reported by ITK as its own). A handler the code inside
    sets (a predictor's) is kept."""
    received: List[int] = []

    def handler(signal_number, frame):
        if not received:  # a second signal does not cut the cleanup of the first short
            received.append(signal_number)
            raise Terminated(signal_number)

    try:
        with _handled(_SIGNALS, handler, lambda current: current is signal.SIG_DFL):
            yield
    finally:
        if received:
            signal.raise_signal(received[0])


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """While active, SIGINT, SIGTERM and SIGHUP are held (main thread only) and delivered, to the
    handlers there were, on leaving: for the renames that put a finished output in place, which
    a signal between two of them would leave half old, half new (a .mhd's new .raw with its old
    header; the Dask call's old array moved aside, the new one not yet in place). A handler set
    by the code inside is kept."""
    held: List[int] = []

    def hold(signal_number, frame):
        held.append(signal_number)

    try:  # None: a handler set outside Python, left alone
        with _handled(_DEFERRED, hold, lambda current: current is not None):
            yield
    finally:
        for number in sorted(set(held), key=lambda n: n == signal.SIGINT):  # Ctrl-C's exception last
            signal.raise_signal(number)


@contextlib.contextmanager
def _handled(numbers, handler: Callable, takes: Callable) -> Iterator[None]:
    """``handler`` for each of the signals ``numbers`` whose handler ``takes`` accepts, in the main
    thread only (elsewhere nothing is installed), until leaving. Installed inside the ``try``: a
    signal right after the first is installed still finds the ``finally``."""
    replaced: Dict[int, object] = {}
    try:
        if threading.current_thread() is threading.main_thread():
            for number in numbers:
                if takes(signal.getsignal(number)):
                    replaced[number] = signal.signal(number, handler)
        yield
    finally:
        _restore(replaced, handler)


def _restore(replaced: Dict[int, object], ours: Callable) -> None:
    """Puts back the handlers ``replaced`` held where ``ours`` is still the handler (one set since,
    by the code that ran, stays); SIGINT's last, so that a Ctrl-C meanwhile, whose handler raises,
    cannot leave the others replaced."""
    for number in sorted(replaced, key=lambda n: n == signal.SIGINT):
        if signal.getsignal(number) is ours:
            signal.signal(number, replaced[number])
