"""The queues a case can join: one per force in data/knowledge.yml, and ``national``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

NATIONAL = "national"
KNOWLEDGE_FILE = Path("data") / "knowledge.yml"


@dataclass(frozen=True)
class Force:
    id: str
    name: str
    extra: str
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


def load_forces(domain_path: Path) -> dict[str, Force]:
    """Forces by queue id, read from data/knowledge.yml beside the domain (as the widget does)."""
    path = domain_path.parent / KNOWLEDGE_FILE
    try:
        knowledge = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError:
        knowledge = {}  # no knowledge file: the national queue only
    forces = {
        key: Force(
            key,
            str(force["name"]),
            str(force.get("extra") or ""),
            str(force.get("name_cy") or ""),
            str(force.get("extra_cy") or ""),
        )
        for key, force in (knowledge.get("forces") or {}).items()
    }
    national = knowledge.get("national_police") or {}
    forces[NATIONAL] = Force(
        NATIONAL,
        str(national.get("name") or "your local police"),
        "",
        str(national.get("name_cy") or ""),
    )
    return forces
