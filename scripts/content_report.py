"""Which facts in data/knowledge.yml are due for a check: every force, service, platform and
payment method carries the address its advice comes from (`source_url`) and the month it was
last checked against it (`checked`, YYYY-MM). Entries not checked for twelve months are listed,
with their address, so a force can re-read the page and update the entry and its month.

    make content-report                       # as of this month
    .venv/bin/python -m scripts.content_report --as-of 2027-12 --months 12
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

KNOWLEDGE = Path(__file__).resolve().parent.parent / "data" / "knowledge.yml"
SECTIONS = ("forces", "services", "platforms", "payment_methods")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Entry:
    key: str  # e.g. "platforms.whatsapp"
    source_url: str
    checked: str

    def months_since_checked(self, as_of: dt.date) -> int | None:
        match = MONTH.match(self.checked)
        if not match:
            return None
        return (as_of.year - int(match[1])) * 12 + as_of.month - int(match[2])


def entries(knowledge: dict) -> Iterator[Entry]:
    """Every piece of advice that rests on an outside page."""
    national = knowledge.get("national_police") or {}
    yield Entry("national_police", str(national.get("source_url") or ""), _month(national))
    for section in SECTIONS:
        for key, entry in (knowledge.get(section) or {}).items():
            yield Entry(f"{section}.{key}", str(entry.get("source_url") or ""), _month(entry))


def _month(entry: dict) -> str:
    return str(entry.get("checked") or "")


def problems(entry: Entry, as_of: dt.date) -> list[str]:
    """What is wrong with an entry's provenance (not its age)."""
    found = []
    if not entry.source_url.startswith(("https://", "http://")):
        found.append("no source address")
    age = entry.months_since_checked(as_of)
    if age is None:
        found.append("no month checked (YYYY-MM)")
    elif age < 0:
        found.append(f"checked in the future ({entry.checked})")
    return found


def stale(all_entries: list[Entry], as_of: dt.date, months: int = 12) -> list[Entry]:
    """Entries last checked `months` or more months before `as_of`, oldest first."""
    old = [e for e in all_entries if (e.months_since_checked(as_of) or 0) >= months]
    return sorted(old, key=lambda e: (e.checked, e.key))


def report(knowledge: dict, as_of: dt.date, months: int = 12) -> str:
    all_entries = list(entries(knowledge))
    lines = [f"data/knowledge.yml as of {as_of:%Y-%m}: {len(all_entries)} entries with a source."]
    broken = [(e, problems(e, as_of)) for e in all_entries]
    broken = [(e, found) for e, found in broken if found]
    for entry, found in broken:
        lines.append(f"  FIX   {entry.key}: {', '.join(found)}")
    old = stale(all_entries, as_of, months)
    if old:
        lines.append(f"Not checked for {months} months or more ({len(old)}):")
        lines += [f"  {e.checked}  {e.key}  {e.source_url}" for e in old]
    else:
        lines.append(f"Every entry was checked in the last {months} months.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", help="YYYY-MM (default: this month)")
    parser.add_argument("--months", type=int, default=12)
    args = parser.parse_args(argv)
    as_of = dt.date.today()
    if args.as_of:
        if not MONTH.match(args.as_of):
            parser.error("--as-of must be YYYY-MM")
        as_of = dt.date(int(args.as_of[:4]), int(args.as_of[5:]), 1)
    knowledge = yaml.safe_load(KNOWLEDGE.read_text(encoding="utf-8"))
    print(report(knowledge, as_of, args.months))
    return 0


if __name__ == "__main__":
    sys.exit(main())
