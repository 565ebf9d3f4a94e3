"""The canonical values of a triage, as Rasa sends them to bot/: in the hand-off's case summary
(``{"handoff": ...}``) and in the anonymous statistics (``{"statistics": {"triage": ...}}``).
``actions/summary.py`` writes them; ``bot/statistics/counts.py`` reads them and takes nothing
outside these sets (platforms and forces are data/knowledge.yml's ids)."""

from __future__ import annotations

UNKNOWN = "unknown"
NATIONAL = "national"
ANSWERS = ("yes", "no", UNKNOWN)
INCIDENT_TYPES = ("webcam", "images", "phishing", "known_person", "other", UNKNOWN)
# What the statistics message carries of a triage.
STATISTICS_FIELDS = ("incident_type", "paid", "platforms", "under_18", "force_area")
