"""Memory the run has freed, given back to the system (issue 20)."""

from __future__ import annotations


def trim_heap() -> bool:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``); False
    where there is no glibc. The tokens and the comparison's arrays, freed, stayed in
    the run's resident set (~0.2 GB on 100 MB) under the topic model's and the report's
    memory, the run's peak (issue 20); the trim takes milliseconds."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.malloc_trim(0) >= 0)
    except (OSError, AttributeError):  # not glibc (macOS, musl, Windows)
        return False
