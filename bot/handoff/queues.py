"""The queues a case can join: one per force in data/knowledge.yml, and ``national``."""

from __future__ import annotations

from pathlib import Path

from aic_shared.knowledge import Force, forces, knowledge_beside, load_knowledge, national_police

NATIONAL = "national"
__all__ = ["NATIONAL", "Force", "load_forces"]


def load_forces(domain_path: Path) -> dict[str, Force]:
    """Forces by queue id, read from data/knowledge.yml beside the domain (as the widget does)."""
    knowledge = load_knowledge(knowledge_beside(domain_path))
    return {**forces(knowledge), NATIONAL: national_police(knowledge, NATIONAL)}
