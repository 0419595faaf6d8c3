"""The recorded real-client corpus (``tests/fixtures/realclients``, written by ``record.py``), read back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "realclients"


@dataclass(frozen=True)
class Recorded:
    name: str  # "<client>-<version>/NNN-<scenario>"
    client: str
    scenario: str
    user_agent: str
    betas: list[str]
    status: int | None
    body: dict[str, Any]

    @property
    def raw(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode()


def load() -> list[Recorded]:
    """Every recorded request body, its ``{"$part": digest}`` values put back from ``parts/``."""
    found = []
    for folder in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("[0-9]*.json")):
            record = json.loads(path.read_text())
            body = record["body"]
            for key, value in list(body.items()):
                if isinstance(value, dict) and set(value) == {"$part"}:
                    body[key] = json.loads((folder / "parts" / f"{value['$part']}.json").read_text())
            found.append(
                Recorded(
                    f"{folder.name}/{path.stem}", record["client"], record["scenario"], record["user_agent"],
                    record["anthropic_beta"], record["status"], body,
                )
            )  # fmt: skip
    return found
