"""Ending a govtext process without tearing down every object one by one (issue 20)."""

from __future__ import annotations

import atexit
import os
import sys


def traced() -> bool:
    """True under a profiler or coverage tool: they write their results after the
    program returns, so the process must end the usual way."""
    return sys.getprofile() is not None or sys.gettrace() is not None


def leave(code: int = 0) -> None:
    """End the process now with ``code``, unless ``traced()`` (then return, and let the
    caller end as usual).

    A process holding a run's documents, tokens and tables (a gigabyte on 100 MB), or a
    topic child holding gensim, scipy and the units, spent up to half a second freeing
    them one by one at exit, while the run waited. The exit handlers run first
    (multiprocessing joins its children, logging flushes, temporary folders go) and the
    standard streams are flushed; every file govtext writes is closed and in place
    before this is called.
    """
    if traced():
        return
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: nothing more can be said
                pass
        os._exit(code)
