"""Which optional extra each command needs, and the one-line message when it is not installed.

The core install (``pip install claude-otel``) carries only what ``instrument()``, ``start_metrics_server()``
and the analysis commands need; the mock server, the demo and the proxy come with extras (pyproject.toml).
"""

from __future__ import annotations

from importlib.util import find_spec

__all__ = ["EXTRA_OF_COMMAND", "missing_extra"]

# command -> (extra, the modules that extra brings which the command imports)
EXTRA_OF_COMMAND: dict[str, tuple[str, tuple[str, ...]]] = {
    "mock-server": ("mock", ("starlette", "uvicorn")),
    "proxy": ("proxy", ("starlette", "uvicorn")),
    "demo": ("demo", ("starlette", "uvicorn", "anthropic", "rich", "opentelemetry.sdk")),
}


def _absent(module: str) -> bool:
    try:
        return find_spec(module) is None
    except (ImportError, ValueError):
        return True


def missing_extra(command: str | None) -> str | None:
    """The one line to print when ``command`` cannot run for a missing extra (None: it can run)."""
    entry = EXTRA_OF_COMMAND.get(command or "")
    if entry is None:
        return None
    extra, modules = entry
    absent = [m for m in modules if _absent(m)]
    if not absent:
        return None
    return (
        f"claude-otel {command} needs the [{extra}] extra ({', '.join(absent)} not installed): "
        f"pip install 'claude-otel[{extra}]'"
    )
