"""Compiled loops that cost nothing until called: numba is imported, and each kernel compiled (or loaded
from numba's cache), on its first call, so importing a module that defines kernels stays cheap.

A kernel may have a numpy twin, bit-identical, that small batches take: a page or a short file is done
before numba would have loaded, and the first run after install waits for no compiler.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FunctionType
from typing import Any

__all__ = ["SMALL", "Kernel", "compiled_only", "interpreted", "njit", "skip_blas_probe", "small"]

SMALL = 1 << 15  # elements (code points, tokens) below which a batch takes the numpy twin
_compiled_only = False
_interpreted = False
_probe_blas = True


def small(size: int) -> bool:
    """Whether a batch of ``size`` elements takes the numpy paths."""
    return size < SMALL and not _compiled_only


def skip_blas_probe() -> None:
    """For a process that runs no numba linear algebra (the command line): numba's probe for a BLAS, which
    imports scipy.linalg (as long as numba itself takes to import), is skipped when numba loads."""
    global _probe_blas
    _probe_blas = False


def _import_numba() -> None:
    if _probe_blas or "scipy" in sys.modules or "numba.np.arraymath" in sys.modules:
        return
    sys.modules["scipy"] = None  # the probe's `import scipy.linalg.cython_blas` fails: numba notes no BLAS
    try:
        import numba.np.arraymath  # noqa: F401 - where the probe runs, once
    finally:
        del sys.modules["scipy"]


@contextmanager
def compiled_only() -> Iterator[None]:
    """Within: every batch, whatever its size, takes the compiled kernels (to load them before a pool forks its
    workers, or to test them)."""
    global _compiled_only
    before, _compiled_only = _compiled_only, True
    try:
        yield
    finally:
        _compiled_only = before


@contextmanager
def interpreted(on: bool = True) -> Iterator[None]:
    """Within (when ``on``): kernels take their numpy twin whatever the batch size, or else run their
    own Python body, uncompiled. For a whole job so small that loading numba and compiling would take
    longer than the work itself (the README's audit of 43 articles: about a second interpreted)."""
    global _interpreted
    before, _interpreted = _interpreted, on
    try:
        yield
    finally:
        _interpreted = before


class Kernel:
    """A function compiled with ``numba.njit(**options)`` on first call; kernels it calls are compiled with it."""

    def __init__(self, fn: FunctionType, options: dict[str, Any]) -> None:
        self.fn, self.options = fn, options
        self.__doc__, self.__name__ = fn.__doc__, fn.__name__
        self._compiled: Callable | None = None
        self.numpy: Callable | None = None  # the numpy twin, if any

    def twin(self, fn: Callable) -> Callable:
        """Decorator: ``fn`` computes what this kernel computes, in numpy; it serves the calls whose first argument
        holds fewer than :data:`SMALL` elements."""
        self.numpy = fn
        return fn

    def compiled(self) -> Callable:
        """The numba dispatcher; the kernels this one names are dispatchers in the globals it is compiled with."""
        if self._compiled is None:
            _import_numba()
            import numba

            fn = self.fn
            callees = {
                name: fn.__globals__[name].compiled()
                for name in fn.__code__.co_names
                if isinstance(fn.__globals__.get(name), Kernel)
            }
            copy = FunctionType(fn.__code__, {**fn.__globals__, **callees}, fn.__name__, fn.__defaults__)
            copy.__qualname__, copy.__module__, copy.__doc__ = fn.__qualname__, fn.__module__, fn.__doc__
            self._compiled = numba.njit(**self.options)(copy)
        return self._compiled

    def __call__(self, *args: Any) -> Any:
        if self.numpy is not None and (small(len(args[0])) or (_interpreted and not _compiled_only)):
            return self.numpy(*args)
        if _interpreted and not _compiled_only:
            import numpy as np

            with np.errstate(over="ignore"):  # numpy scalars wrap as the compiled integers do, but warn
                return self.fn(*args)
        return self.compiled()(*args)


def njit(**options: Any) -> Callable[[FunctionType], Kernel]:
    """``numba.njit(**options)``, deferred to the kernel's first call."""
    return lambda fn: Kernel(fn, options)
