"""What a newcomer tries first: --version, the proxy's --help, and a bare command waiting on the terminal."""

from __future__ import annotations

import os
import pty
import subprocess
from importlib.metadata import metadata, version

from clihelp import console_script, dump, run_cli, tool_loop_body


def test_version_prints_the_installed_version() -> None:
    proc = run_cli("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == f"claude-otel {version('claude-otel')}\n"
    assert proc.stderr == b""


def test_the_installed_metadata_carries_the_license_as_an_spdx_expression() -> None:
    # project.license = "Apache-2.0" (the TOML-table form makes setuptools warn at every install, and
    # stops building in 2027); an install built from the table form has no License-Expression
    assert metadata("claude-otel")["License-Expression"] == "Apache-2.0"


def test_proxy_help_shows_the_listen_and_upstream_defaults() -> None:
    proc = run_cli("proxy", "--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.decode().split())  # argparse wraps to the terminal width
    assert "address to serve on (default 127.0.0.1:8787)" in text
    assert "where requests are forwarded (default https://api.anthropic.com)" in text


def _on_a_terminal(*args: str, typed: bytes) -> tuple[int, str, str]:
    """Run the console script with a pseudo-terminal as stdin; type `typed`, then Ctrl-D."""
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.Popen(
            [console_script(), *args], stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        os.close(terminal)
        terminal = -1
        os.write(controller, typed + b"\n\x04")  # a line, then Ctrl-D at the start of the next one
        out, err = proc.communicate(timeout=120)
    finally:
        if terminal >= 0:
            os.close(terminal)
        os.close(controller)
    return proc.returncode, out.decode(), err.decode()


def test_check_on_a_terminal_says_it_reads_stdin_then_checks_what_was_typed() -> None:
    code, out, err = _on_a_terminal("check", typed=dump(tool_loop_body(1)))
    assert err == "reading a request body from stdin (Ctrl-D to end)\n"
    assert code == 0, out
    assert out.startswith("<stdin>: ok: no findings")


def test_classify_on_a_terminal_says_it_reads_stdin() -> None:
    code, out, err = _on_a_terminal("classify", typed=b"API Error: 400 due to tool use concurrency issues.")
    assert err == "reading an error response body from stdin (Ctrl-D to end)\n"
    assert code == 0
    assert "category:   tool_result_missing" in out


def test_no_notice_when_stdin_is_a_pipe() -> None:
    proc = run_cli("check", stdin=dump(tool_loop_body(1)))
    assert proc.returncode == 0
    assert proc.stderr == b""
