"""Record the real-client corpus: what today's clients really send, as committed fixtures.

    python tests/realclients/record.py [--out tests/fixtures/realclients] [--only claude-code,...]

Installs the newest Claude Code from npm and ``anthropic`` + ``claude-agent-sdk`` from PyPI into a
temporary prefix and venv (never the project's environment), drives them through realistic tasks against
the mock Messages API on 127.0.0.1 behind a recording wrapper (``recorder.py``), and writes every
``/v1/messages`` request body, sanitised, to ``<out>/<client>-<version>/NNN-<scenario>.json`` with
``manifest.json`` beside them. Large ``system`` and ``tools`` values are stored once under ``parts/`` and
named by digest; ``corpus.py`` puts the bodies back together. Needs npm and network access to the registries.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import venv
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from recorder import Exchange, RecordingMock  # noqa: E402

from claude_otel.mock import MockConfig  # noqa: E402

NPM_INSTALL = ("npm", "install", "--no-audit", "--no-fund", "--prefer-online")  # online: npm's cache lags
DEFAULT_OUT = ROOT / "tests" / "fixtures" / "realclients"
PART_KEYS = ("system", "tools")
PART_MIN_BYTES = 1024
SCRUBBED_ROOT = "/tmp/realclients"
DEVICE_ID = "0" * 64
ACCOUNT_UUID = "00000000-0000-4000-8000-00000000a000"
SESSION_ID = "00000000-0000-4000-8000-{:012d}"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# ---------------------------------------------------------------- installs


@dataclass
class Clients:
    claude: Path
    claude_version: str
    python: Path
    anthropic_version: str
    agent_sdk_version: str


def install(tmp: Path, reuse: Path | None = None) -> Clients:
    """The clients, installed into ``tmp`` (or found in ``reuse``, a folder a previous --keep left)."""
    prefix = (reuse or tmp) / "npm"
    env_dir = (reuse or tmp) / "venv"
    python = env_dir / "bin" / "python"
    if reuse is None:
        _install(prefix, env_dir)
    claude = prefix / "node_modules" / ".bin" / "claude"
    claude_version = subprocess.run([claude, "--version"], capture_output=True, text=True, check=True)
    versions = subprocess.run(
        [
            python,
            "-c",
            "import anthropic, claude_agent_sdk as s; print(anthropic.__version__, s.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return Clients(claude, claude_version.stdout.split()[0], python, versions[0], versions[1])


def _install(prefix: Path, env_dir: Path) -> None:
    subprocess.run(
        [*NPM_INSTALL, "--prefix", str(prefix), "@anthropic-ai/claude-code@latest"],
        check=True,
        capture_output=True,
        timeout=900,
    )
    venv.create(env_dir, with_pip=True)
    subprocess.run(
        [
            env_dir / "bin" / "python",
            "-m",
            "pip",
            "install",
            "-q",
            "--upgrade",
            "anthropic",
            "claude-agent-sdk",
        ],
        check=True,
        capture_output=True,
        timeout=900,
    )


# ---------------------------------------------------------------- scenarios


@dataclass
class Session:
    """A Claude Code HOME and project folder: runs in one Session share its transcripts."""

    home: Path
    work: Path
    ids: dict[str, str] = field(default_factory=dict)  # run name -> session id it printed

    @classmethod
    def make(cls, root: Path, name: str) -> Session:
        home, work = root / f"home-{name}", root / f"project-{name}"
        home.mkdir(parents=True)
        work.mkdir(parents=True)
        (work / "note.txt").write_text("The quick brwn fox jumps over the lazy dog.\nSecond line.\n")
        (work / "notes.md").write_text("# Notes\n\n- one\n- two\n")
        return cls(home, work)

    def env(self, base_url: str) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.home),
            "ANTHROPIC_BASE_URL": base_url,
            "ANTHROPIC_API_KEY": "test",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        }


def _config(session: Session, prefer: tuple[str, ...], rounds: int, parallel: int = 2) -> MockConfig:
    work = session.work
    inputs = {
        "Read": {"file_path": str(work / "note.txt")},
        "Write": {"file_path": str(work / "out.txt"), "content": "written by the recording\n"},
        "Edit": {"file_path": str(work / "note.txt"), "old_string": "brwn", "new_string": "brown"},
        "Bash": {"command": "wc -l note.txt notes.md", "description": "Count the lines of both files"},
        "Glob": {"pattern": "*.md"},
        "Grep": {"pattern": "fox", "path": str(work)},
        "ToolSearch": {"query": "select:mcp__inventory__lookup_widget"},
        "mcp__inventory__lookup_widget": {"name": "bolt"},
        "Agent": {
            "description": "Read the note",
            "prompt": "Read note.txt and say what it holds.",
            "subagent_type": "general-purpose",
        },
    }
    return MockConfig(
        tool_rounds=rounds, prefer_tools=prefer, tool_inputs=inputs, max_parallel_tool_calls=parallel
    )


def run_claude(
    mock: RecordingMock,
    clients: Clients,
    session: Session,
    name: str,
    args: list[str],
    config: MockConfig,
    stdin: str | None = None,
) -> None:
    mock.configure(f"claude-code-{clients.claude_version}", name, config)
    command = [str(clients.claude), *args, "--permission-mode", "acceptEdits"]
    result = subprocess.run(
        command,
        cwd=session.work,
        env=session.env(mock.base_url),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    print(f"  claude-code {name}: exit {result.returncode}", file=sys.stderr)
    for line in result.stdout.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict) and isinstance(event.get("session_id"), str):
            session.ids[name] = event["session_id"]


def claude_code(mock: RecordingMock, clients: Clients, root: Path) -> None:
    as_json = ["--output-format", "json"]
    main = Session.make(root, "main")
    run_claude(
        mock,
        clients,
        main,
        "read-write",
        ["-p", "Read note.txt, then write out.txt.", *as_json],
        _config(main, ("Read", "Write"), 2),
    )
    run_claude(
        mock,
        clients,
        main,
        "continue",
        ["--continue", "-p", "Now say what you did.", *as_json],
        _config(main, ("Read",), 2),
    )
    run_claude(
        mock,
        clients,
        main,
        "resume",
        ["--resume", main.ids["read-write"], "-p", "Read it again.", *as_json],
        _config(main, ("Read",), 3),
    )
    run_claude(
        mock,
        clients,
        main,
        "edit",
        ["-p", "Fix the typo in note.txt.", *as_json],
        _config(main, ("Read", "Edit"), 2),
    )
    run_claude(
        mock,
        clients,
        main,
        "bash-parallel",
        ["-p", "Look around this folder.", *as_json],
        _config(main, ("Bash", "Read", "Glob"), 3, parallel=3),
    )
    run_claude(
        mock,
        clients,
        main,
        "resume-parallel",
        ["--resume", main.ids["bash-parallel"], "-p", "And grep for fox.", *as_json],
        _config(main, ("Grep",), 4),
    )
    turns = [
        {"type": "user", "message": {"role": "user", "content": "Read note.txt."}},
        {"type": "user", "message": {"role": "user", "content": "Now count its lines with a command."}},
    ]
    stream = ["-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose"]
    run_claude(
        mock,
        clients,
        main,
        "stream-json",
        stream,
        _config(main, ("Read", "Bash"), 2),
        stdin="".join(json.dumps(t) + "\n" for t in turns),
    )

    bare = Session.make(root, "bare")
    run_claude(
        mock,
        clients,
        bare,
        "bare",
        ["--bare", "-p", "Read note.txt, then write out.txt.", *as_json],
        _config(bare, ("Read", "Write"), 2),
    )
    run_claude(
        mock,
        clients,
        bare,
        "bare-resume",
        ["--bare", "--resume", bare.ids["bare"], "-p", "Fix the typo too.", *as_json],
        _config(bare, ("Edit",), 3),
    )
    run_claude(
        mock,
        clients,
        bare,
        "bare-continue",
        ["--bare", "--continue", "-p", "Thanks.", *as_json],
        _config(bare, (), 0),
    )
    run_claude(
        mock,
        clients,
        bare,
        "bare-stream-json",
        ["--bare", *stream],
        _config(bare, ("Bash", "Read"), 2),
        stdin="".join(json.dumps(t) + "\n" for t in turns),
    )

    search = Session.make(root, "search")
    mcp = {"mcpServers": {"inventory": {"command": sys.executable, "args": [str(HERE / "mcp_server.py")]}}}
    mcp_args = ["--mcp-config", json.dumps(mcp), "--allowedTools", "ToolSearch,mcp__inventory__lookup_widget"]
    run_claude(
        mock,
        clients,
        search,
        "tool-search",
        ["-p", "How many widgets called bolt are there?", *mcp_args, *as_json],
        _config(search, ("ToolSearch", "mcp__inventory__lookup_widget"), 2),
    )
    run_claude(
        mock,
        clients,
        search,
        "tool-search-resume",
        ["--resume", search.ids["tool-search"], "-p", "Check again.", *mcp_args, *as_json],
        _config(search, ("mcp__inventory__lookup_widget",), 3),
    )
    run_claude(
        mock,
        clients,
        search,
        "subagent",
        ["-p", "Have an agent read note.txt.", *as_json],
        _config(search, ("Agent", "Read"), 1),
    )


def agent_sdk(mock: RecordingMock, clients: Clients, root: Path) -> None:
    session = Session.make(root, "agent-sdk")
    driver = HERE / "drive_agent_sdk.py"
    for name, prefer, rounds in (
        ("query-read-write", ("Read", "Write"), 2),
        ("query-bash", ("Bash", "Read"), 2),
        ("client-multi-turn", ("Read", "Bash"), 1),
    ):
        mock.configure(
            f"claude-agent-sdk-{clients.agent_sdk_version}", name, _config(session, prefer, rounds)
        )
        result = subprocess.run(
            [clients.python, driver, name, str(session.work)],
            env=session.env(mock.base_url),
            cwd=session.work,
            capture_output=True,
            text=True,
            timeout=300,
        )
        print(f"  claude-agent-sdk {name}: exit {result.returncode} {result.stderr[-300:]}", file=sys.stderr)


def anthropic_sdk(mock: RecordingMock, clients: Clients, root: Path) -> None:
    sys.path.insert(0, str(HERE))
    import drive_anthropic  # only for the scenario names: it runs in the venv

    for name in drive_anthropic.SCENARIOS:
        mock.configure(f"anthropic-python-{clients.anthropic_version}", name, MockConfig(tool_rounds=3))
        result = subprocess.run(
            [clients.python, HERE / "drive_anthropic.py", name, mock.base_url],
            env={"PATH": os.environ.get("PATH", ""), "HOME": str(root)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        print(f"  anthropic {name}: exit {result.returncode} {result.stderr[-300:]}", file=sys.stderr)


# ---------------------------------------------------------------- sanitising and writing


class Scrubber:
    """Replaces what is personal or per-machine with fixed placeholders (in the body's JSON text)."""

    def __init__(self, root: Path) -> None:
        self.replacements: list[tuple[str, str]] = []
        real = str(root.resolve())
        for source in {str(root), real}:
            self.replacements.append((source, SCRUBBED_ROOT))
            self.replacements.append(
                (re.sub(r"[^A-Za-z0-9]", "-", source), re.sub(r"[^A-Za-z0-9]", "-", SCRUBBED_ROOT))
            )
        user = os.environ.get("USER") or os.environ.get("LOGNAME") or ""
        if len(user) >= 3:
            self.replacements += [(f"/home/{user}", "/home/user"), (f"/Users/{user}", "/Users/user")]
        host = socket.gethostname()
        if len(host) >= 4:
            self.replacements.append((host, "host"))
        self.sessions: dict[str, str] = {}

    def session(self, value: str) -> str:
        return self.sessions.setdefault(value, SESSION_ID.format(len(self.sessions) + 1))

    def body(self, raw: bytes) -> Any:
        body = json.loads(raw)
        metadata = body.get("metadata") if isinstance(body, dict) else None
        if isinstance(metadata, dict) and isinstance(metadata.get("user_id"), str):
            metadata["user_id"] = self.user_id(metadata["user_id"])
        text = json.dumps(body, ensure_ascii=False)
        for source, target in self.replacements:
            text = text.replace(source, target)
        text = UUID.sub(lambda m: self.sessions.get(m.group(0), m.group(0)), text)
        return json.loads(text)

    def user_id(self, value: str) -> str:
        try:
            data = json.loads(value)
        except json.JSONDecodeError:
            return "user_" + DEVICE_ID
        if not isinstance(data, dict):
            return "user_" + DEVICE_ID
        if "device_id" in data:
            data["device_id"] = DEVICE_ID
        if data.get("account_uuid"):
            data["account_uuid"] = ACCOUNT_UUID
        if isinstance(data.get("session_id"), str):
            data["session_id"] = self.session(data["session_id"])
        return json.dumps(data, separators=(",", ":"))


def _compact(text: str) -> str:
    return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))


def write_corpus(
    exchanges: list[Exchange], scrubber: Scrubber, out: Path, clients: Clients
) -> dict[str, Any]:
    manifest: dict[str, Any] = {"recorded": date.today().isoformat(), "clients": {}}
    seen: set[str] = set()
    for client in sorted({e.client for e in exchanges}):
        folder = out / client
        shutil.rmtree(folder, ignore_errors=True)
        (folder / "parts").mkdir(parents=True)
        scenarios: Counter[str] = Counter()
        agents: set[str] = set()
        statuses: Counter[str] = Counter()
        size = 0
        count = 0
        for exchange in (e for e in exchanges if e.client == client):
            body = scrubber.body(exchange.body)
            whole = json.dumps(body, sort_keys=True)
            if whole in seen:
                continue
            seen.add(whole)
            for key in PART_KEYS:
                value = body.get(key)
                encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                if value is not None and len(encoded) >= PART_MIN_BYTES:
                    digest = hashlib.sha256(encoded.encode()).hexdigest()[:16]
                    part = folder / "parts" / f"{digest}.json"
                    if not part.exists():
                        part.write_text(encoded + "\n")
                        size += len(encoded) + 1
                    body[key] = {"$part": digest}
            count += 1
            record = {
                "client": client,
                "scenario": exchange.scenario,
                "user_agent": exchange.user_agent,
                "anthropic_beta": exchange.betas,
                "retry_count": exchange.retry_count,
                "status": exchange.status,
                "body": body,
            }
            text = json.dumps(record, ensure_ascii=False, indent=1) + "\n"
            (folder / f"{count:03d}-{exchange.scenario}.json").write_text(text)
            size += len(text.encode())
            scenarios[exchange.scenario] += 1
            agents.add(exchange.user_agent)
            statuses[str(exchange.status)] += 1
        manifest["clients"][client] = {
            "user_agents": sorted(agents),
            "bodies": count,
            "bytes": size,
            "statuses": dict(statuses),
            "scenarios": dict(scenarios),
        }
    # the agent SDK ships a Claude Code build of its own, often newer than npm's latest: its User-Agent says
    bundled = {
        m.group(1)
        for e in exchanges
        if e.client.startswith("claude-agent-sdk")
        for m in [re.match(r"claude-cli/([\w.-]+)", e.user_agent or "")]
        if m
    }
    if bundled:
        manifest["claude_code_bundled_by_agent_sdk"] = ", ".join(sorted(bundled))
    return manifest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--only", default="claude-code,claude-agent-sdk,anthropic")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (printed)")
    parser.add_argument("--reuse", type=Path, help="take the clients from the folder a --keep run left")
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    tmp = Path(tempfile.mkdtemp(prefix="realclients-"))
    try:
        print(f"installing the clients into {tmp}", file=sys.stderr)
        clients = install(tmp, args.reuse)
        print(
            f"claude-code {clients.claude_version}, claude-agent-sdk {clients.agent_sdk_version},"
            f" anthropic {clients.anthropic_version}",
            file=sys.stderr,
        )
        root = tmp / "runs"
        root.mkdir()
        with RecordingMock() as mock:
            if "claude-code" in wanted:
                claude_code(mock, clients, root)
            if "claude-agent-sdk" in wanted:
                agent_sdk(mock, clients, root)
            if "anthropic" in wanted:
                anthropic_sdk(mock, clients, root)
        manifest = write_corpus(mock.exchanges, Scrubber(tmp), args.out, clients)
        previous = args.out / "manifest.json"
        if previous.exists():  # keep the clients not recorded this time
            old = json.loads(previous.read_text())
            manifest = {**old, **manifest, "clients": {**old.get("clients", {}), **manifest["clients"]}}
        previous.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
        for client, entry in manifest["clients"].items():
            print(f"{client}: {entry['bodies']} bodies, {entry['bytes']} bytes, {entry['statuses']}")
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
