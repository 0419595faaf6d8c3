"""Drive ``claude-agent-sdk`` (and the Claude Code CLI it bundles) through one scenario (run by record.py
in a throw-away venv: ``python drive_agent_sdk.py SCENARIO WORK_DIR``; the environment names the API)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from claude_agent_sdk import ClaudeAgentOptions, ClaudeSDKClient, query


async def one_query(work: Path, prompt: str, tools: list[str]) -> None:
    options = ClaudeAgentOptions(
        cwd=str(work), allowed_tools=tools, permission_mode="acceptEdits", max_turns=8
    )
    async for _message in query(prompt=prompt, options=options):
        pass


async def multi_turn(work: Path) -> None:
    options = ClaudeAgentOptions(
        cwd=str(work), allowed_tools=["Read", "Bash"], permission_mode="acceptEdits", max_turns=8
    )
    async with ClaudeSDKClient(options=options) as client:
        for prompt in ("Read note.txt.", "Now run a shell command that counts its lines."):
            await client.query(prompt)
            async for _message in client.receive_response():
                pass


SCENARIOS = {
    "query-read-write": lambda w: one_query(w, "Read note.txt, then write out.txt.", ["Read", "Write"]),
    "query-bash": lambda w: one_query(
        w, "Count the lines of note.txt with a shell command.", ["Bash", "Read"]
    ),
    "client-multi-turn": multi_turn,
}


def main() -> None:
    scenario, work = sys.argv[1], Path(sys.argv[2])
    asyncio.run(SCENARIOS[scenario](work))


if __name__ == "__main__":
    main()
