"""Which walker runs: the mypyc-compiled copy of walk.py, or walk.py itself.

`setup.py` compiles a generated copy of walk.py, `_walk_native.py` (gitignored), with mypyc at install
time; the copy ends with the sha256 of the walk.py it was made from. The compiled module is used only
when it is a real extension module, its baked hash equals the hash of the walk.py next to it (a developer
who edits walk.py without reinstalling gets the pure walker, never stale code) and
CLAUDE_OTEL_PURE_PYTHON is unset (or "0"). Otherwise walk.py runs: it is the single source of truth.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from types import ModuleType

from . import walk as _pure

SOURCE = Path(_pure.__file__ or "walk.py")
COMPILED_NAME = "claude_otel.core._walk_native"


def pure_requested() -> bool:
    return os.environ.get("CLAUDE_OTEL_PURE_PYTHON", "") not in ("", "0")


def source_hash(path: Path | None = None) -> str:
    return hashlib.sha256((path or SOURCE).read_bytes()).hexdigest()


def load_compiled() -> tuple[ModuleType | None, str]:
    """(the compiled walker module or None, why): never raises."""
    try:
        mod = importlib.import_module(COMPILED_NAME)
    except Exception as e:  # not built (pure install), or built for another Python
        return None, f"not built ({type(e).__name__})"
    path = getattr(mod, "__file__", None) or ""
    if not path.endswith(tuple(EXTENSION_SUFFIXES)):
        return None, "not compiled (only the generated source is present)"
    try:
        current = source_hash()
    except OSError:
        return None, "walk.py unreadable: cannot prove the compiled copy is current"
    if getattr(mod, "SOURCE_SHA256", None) != current:
        return None, "stale (walk.py changed since the last install: reinstall to recompile)"
    return mod, "compiled"


def _select() -> tuple[ModuleType, bool, str]:
    if pure_requested():
        return _pure, False, "pure (CLAUDE_OTEL_PURE_PYTHON is set)"
    mod, why = load_compiled()
    if mod is None:
        return _pure, False, f"pure (compiled walker {why})"
    return mod, True, "compiled (mypyc)"


_walker, NATIVE, STATUS = _select()
walk_messages = _walker.walk_messages


def use_compiled(compiled: bool) -> None:
    """Switch analyze() between the compiled and the pure walker, in this process (benchmarks, tests).

    Raises RuntimeError when asked for the compiled walker and none is selectable.
    """
    from . import analysis

    if compiled and not NATIVE:
        raise RuntimeError(f"no compiled walker: {STATUS}")
    analysis.walk_messages = _walker.walk_messages if compiled else _pure.walk_messages
