"""How a command's process manages memory: Polars' allocator and Python's garbage collector.

**Allocator.** How long Polars' allocator keeps memory a command has freed, before handing it back to the system.

Polars allocates through jemalloc, configured to return freed pages after 0.5 s (dirty) and 1 s (muzzy).
A screening run frees and reallocates gigabytes within seconds (each table read, checked, aggregated,
dropped), so the same memory is given back and faulted in again: at 1 M units ≈ 15 % of the run's CPU
went to the kernel zeroing fresh pages (docs/performance.md). A command keeps freed pages for 3 s
instead, long enough to be reused by the run's next step. Kept pages raise the peak RSS (≈ 2.1 → 2.6 GB at
1 M units); longer (10 s, jemalloc's own default) kept a finished partition's memory while the next one
filled: 10 M units peaked at 8.4 GiB in 5 partitions, 6.0 GiB with 3 s, in the same time. The kept pages are
only reused if the next allocation finds them, so two more settings: one arena (``narenas:1``; jemalloc's
several arenas each keep their own freed pages, which the others do not reuse) and no separate arena for
allocations of 8 MiB and more (``oversize_threshold:0``: that arena hands its pages back at once, whatever the
decay, and a column of 10^7 rows is such an allocation). 1 M units: ≈ 20 % fewer page faults, 0.15–0.6 s less system time, a lower
peak; in 3 partitions half the page faults (docs/performance.md). A run given
``--memory-limit`` keeps Polars' prompt return: the memory model of that option was measured with it. An
operator's own ``_RJEM_MALLOC_CONF`` wins; Polars' default, which Polars writes into the environment of a process
that imports it and so reaches a command that process starts, does not. See docs/decisions.md, "Allocator: freed memory kept a few seconds".

**Garbage collector.** A command builds many short-lived Python objects (policy documents, Polars expressions)
and few cycles: with Python's default threshold (a collection every 700 allocations) a 1 M-unit screen ran 200
collections, ≈ 0.3 s of the run under load; a threshold of 100,000 leaves 7 (docs/performance.md). A long-lived
process freezes what it loaded at start-up (:func:`freeze_loaded`).
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

ENV = "_RJEM_MALLOC_CONF"  # read once, when Polars' library first allocates
KEEP_FREED = "dirty_decay_ms:3000,muzzy_decay_ms:3000,narenas:1,oversize_threshold:0"
MEMORY_LIMIT_OPTION = "--memory-limit"


# What Polars writes into the environment as it is imported (polars/__init__.py: its default, then the THP pair when
# POLARS_THP=1, then the setting it found). A command started by a Python program that imported Polars (a scheduler's
# task, a notebook, a benchmark) inherits it: that much is not the operator's choice.
POLARS_DEFAULT = "dirty_decay_ms:500,muzzy_decay_ms:1000"
POLARS_THP = ",thp:always,metadata_thp:always"


def operators_setting(value: str | None) -> str:
    """The operator's own part of the allocator setting ``value`` found in the environment: what Polars added to it
    in a parent process left out ("" when nothing is left)."""
    if value is None:
        return ""
    if not value.startswith(POLARS_DEFAULT):
        return value
    # the THP pair is left out too: Polars adds it again itself where POLARS_THP=1 is inherited
    return value.removeprefix(POLARS_DEFAULT).removeprefix(POLARS_THP).removeprefix(",")


def keep_freed_memory(argv: Sequence[str]) -> bool:
    """Set the allocator's decay for this process (and its children), unless the operator set it or the
    command line ``argv`` asks for a memory limit. Must run before Polars is imported (afterwards it changes
    nothing); True when it set it. Polars' own default, inherited from a parent that imported Polars, is not the
    operator's setting: it is replaced."""
    if operators_setting(os.environ.get(ENV)) or any(a.startswith(MEMORY_LIMIT_OPTION) for a in argv):
        return False
    os.environ[ENV] = KEEP_FREED
    return True


GC_THRESHOLD = (100_000, 50, 100)


def collect_less_often() -> None:
    """Raise the garbage collector's thresholds for this process (cycles are still collected)."""
    gc.set_threshold(*GC_THRESHOLD)


def freeze_loaded() -> None:
    """For a long-lived process (the web service, a host that screens many tables): once the project's modules,
    programs and policy set are loaded, collect what start-up left and move every remaining object to the collector's
    permanent generation (``gc.freeze``). They live as long as the process; a collection no longer walks them (about
    50,000 objects, ≈ 13 ms a full collection), and cycles made afterwards are still collected. Measured on the peer
    benchmark's runner, which collects before every call: facts → result 1.58 → 1.14× the hand-written query
    (docs/decisions.md, "Garbage collector: the loaded project frozen")."""
    gc.collect()
    gc.freeze()


def watched() -> bool:
    """A tracer or profiler watches this process (coverage, cProfile, a debugger): it may write its results
    after the entry point returns, so the process must end as usual."""
    return sys.gettrace() is not None or sys.getprofile() is not None


def end_now(code: object) -> NoReturn:
    """End the process with ``code`` (a ``SystemExit``'s) as Python's own exit does, less its teardown.

    The steps of Python's exit that have an effect outside the process, in its order: wait for the threads
    that are not daemons (and let thread pools shut down: ``threading._shutdown``), run the ``atexit``
    handlers (logging's flush, temporary files and folders removed, weakref finalizers), flush stdout and
    stderr. Then ``os._exit``: the modules, objects and memory are left to the kernel. What the caller must
    ensure: every file it wrote is closed (an open Python file's buffer is flushed only by its teardown)."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # as Python prints a non-numeric exit code
        print(code, file=sys.stderr)
        status = 1
    getattr(threading, "_shutdown", lambda: None)()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # noqa: BLE001 - a closed pipe: Python's exit reports it with status 120 too
            status = 120
    os._exit(status)
