"""Keep BLAS/OpenMP single-threaded inside Python workers (forecast fits, policy solves, the replay).

Spark runs one Python worker per core; if each worker's OpenBLAS also starts one thread per core, a 16-core
executor runs 256 threads fighting over 16 cores, and the small least-squares problems of one series get
*slower* with threads anyway. Two mechanisms, because the right one depends on whether numpy is loaded yet:

* Environment variables (:data:`BLAS_THREAD_ENV_VARS`) are read by OpenBLAS/MKL/OpenMP once, when the library
  is loaded. :func:`blas_thread_env` gives them as a mapping for ``spark.executorEnv.<VAR>`` (the reliable
  route for Spark: set before the executor's Python workers start); :func:`pin_blas_threads_env` sets them in
  ``os.environ`` for a process that has not imported numpy yet (a benchmark, a CLI entry point).
* :func:`pin_blas_threads` and :func:`limit_blas_threads` change the thread count of an already loaded OpenBLAS
  at run time, through ``ctypes`` and the library's own ``openblas_set_num_threads`` entry point (libraries found
  via ``/proc/self/maps``). This is what works inside an ``applyInPandas`` worker, where pyarrow/pandas have
  already loaded numpy. Finding the libraries costs ~1 ms, so ``pin_blas_threads`` does it once per process
  (call it first thing in the UDF; later calls are free), while the context manager restores the old count on
  exit (tests, notebooks). Both deliberately avoid ``threadpoolctl`` (not a declared dependency); without
  ``/proc`` or without OpenBLAS they do nothing and say so by returning 0.

This module imports nothing heavy, so it can be imported before numpy.
"""

from __future__ import annotations

import ctypes
import functools
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

BLAS_THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

# Symbol names across OpenBLAS builds: plain, 64-bit-integer interface, and the scipy-openblas wheels' prefixes.
_OPENBLAS_PREFIXES = ("", "scipy_")
_OPENBLAS_SUFFIXES = ("", "64_")


def blas_thread_env(n_threads: int = 1) -> dict[str, str]:
    """The environment that pins every common BLAS/OpenMP runtime to ``n_threads`` (e.g. for ``executorEnv``)."""
    return dict.fromkeys(BLAS_THREAD_ENV_VARS, str(n_threads))


def pin_blas_threads_env(n_threads: int = 1) -> Mapping[str, str]:
    """Set :func:`blas_thread_env` in ``os.environ``; effective only if called before numpy is first imported."""
    env = blas_thread_env(n_threads)
    os.environ.update(env)
    return env


class _OpenBlas:
    """One loaded OpenBLAS library and its thread-count entry points."""

    def __init__(self, lib: ctypes.CDLL, setter: str, getter: str) -> None:
        self._set = getattr(lib, setter)
        self._set.argtypes = [ctypes.c_int]
        self._set.restype = None
        self._get = getattr(lib, getter)
        self._get.restype = ctypes.c_int

    def get(self) -> int:
        return int(self._get())

    def set(self, n_threads: int) -> None:
        self._set(n_threads)


def _loaded_openblas() -> list[_OpenBlas]:
    """OpenBLAS libraries mapped into this process (numpy's and scipy's wheels each vendor their own)."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        return []
    paths = sorted({line.split()[-1] for line in maps.read_text().splitlines() if "openblas" in line.lower()})
    found = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path, mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
        except OSError:
            continue
        for prefix in _OPENBLAS_PREFIXES:
            for suffix in _OPENBLAS_SUFFIXES:
                setter = f"{prefix}openblas_set_num_threads{suffix}"
                getter = f"{prefix}openblas_get_num_threads{suffix}"
                if hasattr(lib, setter) and hasattr(lib, getter):
                    found.append(_OpenBlas(lib, setter, getter))
                    break
            else:
                continue
            break
    return found


@functools.cache
def pin_blas_threads(n_threads: int = 1) -> int:
    """Set every loaded OpenBLAS to ``n_threads`` for the rest of the process; returns how many were set."""
    libraries = _loaded_openblas()
    for lib in libraries:
        lib.set(n_threads)
    return len(libraries)


@contextmanager
def limit_blas_threads(n_threads: int = 1) -> Iterator[int]:
    """Run the block with every loaded OpenBLAS at ``n_threads``; yields how many libraries were limited."""
    libraries = _loaded_openblas()
    previous = [lib.get() for lib in libraries]
    for lib in libraries:
        lib.set(n_threads)
    try:
        yield len(libraries)
    finally:
        for lib, count in zip(libraries, previous, strict=True):
            lib.set(count)
