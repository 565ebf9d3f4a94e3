"""data/knowledge.yml, read the same way by every part: the forces, services, platforms and
payment methods the advice rests on (actions/knowledge.py turns them into advice values; bot/
needs only the forces, for the widget's force name and the hand-off's queues)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Beside the domain, in every deployment: the domain's folder is the project's.
KNOWLEDGE_FILE = Path("data") / "knowledge.yml"


def knowledge_beside(domain_path: Path) -> Path:
    return domain_path.parent / KNOWLEDGE_FILE


def load_knowledge(path: Path) -> dict[str, Any]:
    """The whole file as a mapping; empty when there is no file (bot/ then knows no force)."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return {}


@dataclass(frozen=True)
class Force:
    """A police force as its people are told of it, in English and Welsh."""

    id: str
    name: str
    extra: str = ""
    name_cy: str = ""
    extra_cy: str = ""

    def texts(self, language: str | None) -> dict[str, str]:
        """The force's name and extra 101 details, in Welsh for ``"cy"`` where the knowledge
        file has them (English otherwise)."""
        if language == "cy":
            return {
                "force_name": self.name_cy or self.name,
                "force_extra": self.extra_cy or self.extra,
            }
        return {"force_name": self.name, "force_extra": self.extra}


def forces(knowledge: dict[str, Any]) -> dict[str, Force]:
    """The forces by id, from a loaded knowledge file."""
    return {
        key: Force(
            key,
            str(force["name"]),
            str(force.get("extra") or ""),
            str(force.get("name_cy") or ""),
            str(force.get("extra_cy") or ""),
        )
        for key, force in (knowledge.get("forces") or {}).items()
        if isinstance(force, dict) and force.get("name")
    }


def national_police(knowledge: dict[str, Any], queue_id: str) -> Force:
    """The rest of the UK: 101 reaches the caller's own force."""
    national = knowledge.get("national_police") or {}
    return Force(
        queue_id,
        str(national.get("name") or "your local police"),
        "",
        str(national.get("name_cy") or ""),
    )
