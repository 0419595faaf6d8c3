"""The lean install: the core carries only what the hooks, /metrics and the analysis commands need.

The slow test builds a fresh venv, ``pip install``s the checkout with no extra, and runs an application
that instruments httpx, then the commands: the analysis ones work, those of an extra say which to install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("starlette", "uvicorn", "rich", "anthropic")


def test_importing_the_instrumentation_loads_no_server_or_ui_package() -> None:
    code = (
        "import sys, claude_otel\n"
        "import claude_otel.instrumentation, claude_otel.instrumentation.instrumentor\n"
        "import claude_otel.instrumentation.hooks, claude_otel.instrumentation.metrics, claude_otel.cli\n"
        "claude_otel.instrument; claude_otel.start_metrics_server\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def checkout_only(folder: str, names: list[str]) -> set[str]:
    """What a source copy leaves out: version control, virtual environments, caches, build products."""
    return {
        n
        for n in names
        if n in {".git", "build", "dist", "reports", "node_modules", "__pycache__"}
        or n.startswith((".venv", ".ci-venv", ".mypy_cache", ".ruff_cache", ".pytest_cache"))
        or n.endswith((".so", ".egg-info", ".sqlite"))
    }


@pytest.mark.slow
def test_core_install_instruments_an_application_without_the_extras(tmp_path: Path) -> None:
    env_dir = tmp_path / "lean"
    venv.create(env_dir, with_pip=True)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    env = {**os.environ, "CLAUDE_OTEL_PURE_PYTHON": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("CLAUDE_OTEL_REQUIRE_COMPILED", None)
    env.pop("VIRTUAL_ENV", None)
    # from a copy of the checkout: pip builds in the source tree, and a pure-Python build removes the
    # compiled modules an earlier in-place build left there (setup.py), which are the developer's
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=checkout_only)
    compiled_before = sorted((ROOT / "claude_otel" / "core").glob("*.so"))
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(source)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    if install.returncode != 0 and "No matching distribution" in install.stderr:
        pytest.skip(f"the package index is unreachable: {install.stderr.strip().splitlines()[-1]}")
    assert install.returncode == 0, install.stderr[-3000:]
    assert sorted((ROOT / "claude_otel" / "core").glob("*.so")) == compiled_before, "the checkout's build"

    absent = subprocess.run(
        [str(python), "-c", f"import importlib.util as u; print([m for m in {HEAVY!r} if u.find_spec(m)])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert absent == "[]", f"the core install brought {absent}"

    run = subprocess.run(
        [str(python), str(Path(__file__).with_name("lean_app.py"))],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,  # not the checkout: the installed package is the one imported
    )
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout)
    assert seen["statuses"] == [200, 400]
    assert seen["heavy_imported"] == []
    metrics = seen["metrics"]
    assert 'claude_otel_requests_total{client="other",endpoint="messages"' in metrics
    assert 'predicted="error"' in metrics and 'outcome="invalid_request"' in metrics
    assert 'claude_otel_errors_total{category="tool_result_missing"' in metrics

    cli = bindir / "claude-otel"
    body = tmp_path / "body.json"
    body.write_text(
        json.dumps({"model": "m", "max_tokens": 1, "messages": [{"role": "user", "content": "x"}]})
    )
    check = subprocess.run([str(cli), "check", str(body)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    for command, extra in (("demo", "demo"), ("mock-server", "mock"), ("proxy", "proxy")):
        res = subprocess.run([str(cli), command], capture_output=True, text=True, timeout=60)
        assert res.returncode == 2, (command, res.stdout, res.stderr)
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and f"pip install 'claude-otel[{extra}]'" in lines[0], res.stderr
