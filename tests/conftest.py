"""Shared pytest configuration. Each test area keeps its own fixtures in its own conftest.py; what several
areas need lives here."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

NPM_NETWORK_ERRORS = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT", "ECONNRESET", "network", "proxy")


PACKAGE = "@anthropic-ai/claude-code@latest"


@pytest.fixture(scope="session", autouse=True)
def private_state_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The suite never writes to the user's ~/.local/state: the proxy and the demo keep incidents under
    $XDG_STATE_HOME by default, and every process the tests start inherits this one (concurrent suites
    on one machine also stop sharing one incident file)."""
    path = tmp_path_factory.mktemp("state-home")
    before = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = str(path)
    yield path
    if before is None:
        os.environ.pop("XDG_STATE_HOME", None)
    else:
        os.environ["XDG_STATE_HOME"] = before


@pytest.fixture(scope="session")
def claude_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Claude Code installed from the npm registry into a temporary prefix, once per test session.

    Skips with the reason when npm is missing or its registry unreachable; any other install failure fails.
    """
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed, so Claude Code cannot be installed")
    prefix = tmp_path_factory.mktemp("claude-code")
    try:
        result = subprocess.run(
            # --prefer-online and @latest: without them npm may answer from a stale cached packument
            [npm, "install", "--no-audit", "--no-fund", "--prefer-online", "--prefix", str(prefix), PACKAGE],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired:
        pytest.skip("npm install @anthropic-ai/claude-code timed out: the npm registry is unreachable")
    if result.returncode != 0:
        if any(marker in result.stderr for marker in NPM_NETWORK_ERRORS):
            pytest.skip(f"npm registry unreachable: {result.stderr.strip().splitlines()[-1]}")
        pytest.fail(f"npm install failed:\n{result.stderr}")
    binary = prefix / "node_modules" / ".bin" / "claude"
    assert binary.exists(), "the package installs a `claude` executable"
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60).stdout
    print(f"claude_bin: Claude Code {version.split()[0] if version.split() else '?'}")
    return binary
