"""Named fault points, for crash tests that must kill a process at one chosen step, every run.

`ANALYTICS_FAULT="<point>:<n>"` in a process's environment SIGKILLs it (its process group when it
leads one, so forked helpers die with it) the n-th time it reaches `<point>`. Unset — always,
outside tests — a point is one environment lookup. Points: `ingest.before_commit` (a batch's rows
inserted, its transaction open), `ingest.after_commit`, `receiver.push_mid_write` (half of a pushed
chunk written), `push.after_chunk` (a chunk acknowledged, the client's cursor not yet saved).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Callable, Iterator

_passed: dict[str, int] = {}
_lock = threading.Lock()
_actions: dict[str, tuple[int, Callable[[], None]]] = {}  # point -> (n, what a test does there), this process only


@contextlib.contextmanager
def injected(name: str, nth: int, action: Callable[[], None]) -> Iterator[None]:
    """In this process, call `action` the `nth` time `name` is reached (a test making something happen at
    exactly that step, e.g. another writer committing first)."""
    _passed.pop(f"action:{name}", None)
    _actions[name] = (nth, action)
    try:
        yield
    finally:
        _actions.pop(name, None)


def point(name: str) -> None:
    if _actions and name in _actions:
        with _lock:
            _passed[f"action:{name}"] = count = _passed.get(f"action:{name}", 0) + 1
        nth, action = _actions[name]
        if count == nth:
            action()
    spec = os.environ.get("ANALYTICS_FAULT")
    if not spec:
        return
    target, _, nth = spec.rpartition(":")
    if target != name:
        return
    with _lock:
        _passed[name] = _passed.get(name, 0) + 1
        if _passed[name] != int(nth):
            return
    if os.getpgid(0) == os.getpid():
        os.killpg(os.getpid(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)
