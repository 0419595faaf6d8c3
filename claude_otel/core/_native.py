"""Which walker and checks run: the mypyc-compiled copies of walk.py, checks_pairing.py and
checks_sequence.py, or those modules themselves.

`setup.py` compiles generated copies (`_walk_native.py`, ...; gitignored) with mypyc at install time; each
copy ends with the sha256 of the source it was made from. The compiled modules are used only when all of
them are real extension modules whose baked hashes equal the hashes of the sources next to them (a
developer who edits walk.py without reinstalling gets the pure modules, never stale code), and
CLAUDE_OTEL_PURE_PYTHON is unset (or "0"). They are used together or not at all: the compiled checks take
the compiled walk's Turn objects. Otherwise the pure modules run: they are the single source of truth.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from types import ModuleType

from . import checks_pairing, checks_sequence, walk

PURE: dict[str, ModuleType] = {
    "walk": walk,
    "checks_pairing": checks_pairing,
    "checks_sequence": checks_sequence,
}
HERE = Path(__file__).resolve().parent
# the functions analysis.py calls, by module
FUNCTIONS = {
    "walk": ("walk_messages", "walk_decoded"),
    "checks_pairing": ("check_pairing", "check_container"),
    "checks_sequence": ("check_roles", "check_final_and_thinking"),
}


def pure_requested() -> bool:
    return os.environ.get("CLAUDE_OTEL_PURE_PYTHON", "") not in ("", "0")


def source_hash(name: str, folder: Path | None = None) -> str:
    return hashlib.sha256(((folder or HERE) / f"{name}.py").read_bytes()).hexdigest()


def load_compiled(folder: Path | None = None) -> tuple[dict[str, ModuleType] | None, str]:
    """(the compiled modules by pure name, or None; why). `folder` holds the sources. Never raises."""
    mods: dict[str, ModuleType] = {}
    for name in PURE:
        try:
            mod = importlib.import_module(f"{__package__}._{name}_native")
        except Exception as e:  # not built (pure install), or built for another Python
            return None, f"not built ({type(e).__name__})"
        path = getattr(mod, "__file__", None) or ""
        if not path.endswith(tuple(EXTENSION_SUFFIXES)):
            return None, "not compiled (only the generated source is present)"
        try:
            current = source_hash(name, folder)
        except OSError:
            return None, f"{name}.py unreadable: cannot prove the compiled copy is current"
        if getattr(mod, "SOURCE_SHA256", None) != current:
            return None, f"stale ({name}.py changed since the last install: reinstall to recompile)"
        mods[name] = mod
    return mods, "compiled"


def _select() -> tuple[dict[str, ModuleType], bool, str]:
    if pure_requested():
        return PURE, False, "pure (CLAUDE_OTEL_PURE_PYTHON is set)"
    mods, why = load_compiled()
    if mods is None:
        return PURE, False, f"pure (compiled modules {why})"
    return mods, True, "compiled (mypyc)"


SELECTED, NATIVE, STATUS = _select()
walk_messages = SELECTED["walk"].walk_messages
walk_decoded = SELECTED["walk"].walk_decoded
check_pairing = SELECTED["checks_pairing"].check_pairing
check_container = SELECTED["checks_pairing"].check_container
check_roles = SELECTED["checks_sequence"].check_roles
check_final_and_thinking = SELECTED["checks_sequence"].check_final_and_thinking


def bind(mods: dict[str, ModuleType]) -> None:
    """Make analyze() call the functions of these modules (pure or compiled): tests, benchmarks."""
    from . import analysis, conversations

    conversations.MEMORY.clear()  # its saved walk states are instances of one walker's classes
    for name, funcs in FUNCTIONS.items():
        for f in funcs:
            setattr(analysis, f, getattr(mods[name], f))


def use_compiled(compiled: bool) -> None:
    """Switch analyze() between the compiled and the pure modules, in this process (benchmarks, tests).

    Raises RuntimeError when asked for the compiled modules and none are selectable.
    """
    if compiled and not NATIVE:
        raise RuntimeError(f"no compiled modules: {STATUS}")
    bind(SELECTED if compiled else PURE)
