"""Apply the staged Welsh variations (i18n/cy.yml) to domain.yml, once, by editing its text.

    .venv/bin/python -m i18n.apply_cy          # writes domain.yml, prints what it did
    .venv/bin/python -m i18n.apply_cy --check  # only reports what is missing

Not a build step: domain.yml is the source of truth afterwards, and tests/welsh/ checks that
every response keeps its Welsh variation. The file is edited line by line, not re-dumped, so its
order, comments and anchors stay as they are. For each response:
  * an English variation that already has a condition gets ``language: en`` added to it, so it can
    never match a Welsh speaker (Rasa prefers any matching conditional variation);
  * the Welsh variations from i18n/cy.yml are appended with ``language: cy`` added to their own
    conditions.
Responses that already have a Welsh variation are left alone, so running it twice changes nothing.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ROOT / "domain.yml"
STAGING = ROOT / "i18n" / "cy.yml"

CY = "{type: slot, name: language, value: cy}"
EN = "{type: slot, name: language, value: en}"
_KEY = re.compile(r"^  (utter_[a-z0-9_]+):\s*$")
_CONDITION = re.compile(r"^(\s+- condition: \[)(.*)(\]\s*)$")


def _q(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(text, ensure_ascii=False)


def _condition(extra: list[dict], language_first: str) -> str:
    parts = [language_first] + [
        f"{{type: slot, name: {c['name']}, value: {_q(str(c['value']))}}}" for c in extra
    ]
    return "[" + ", ".join(parts) + "]"


def render_variation(variation: dict, indent: str = "    ") -> list[str]:
    lines = [f"{indent}- condition: {_condition(variation.get('condition') or [], CY)}"]
    lines.append(f"{indent}  text: {_q(variation['text'])}")
    if variation.get("buttons"):
        lines.append(f"{indent}  buttons:")
        for button in variation["buttons"]:
            lines.append(
                f"{indent}    - {{title: {_q(button['title'])}, payload: {_q(button['payload'])}}}"
            )
    return lines


def _blocks(lines: list[str]) -> dict[str, tuple[int, int]]:
    """Response name -> (first line, line after its last non-blank line)."""
    start = next(i for i, line in enumerate(lines) if line.rstrip() == "responses:")
    blocks: dict[str, tuple[int, int]] = {}
    current, first, last = None, 0, 0
    for i in range(start + 1, len(lines) + 1):
        line = lines[i] if i < len(lines) else "END"
        stripped = line.strip()
        if i < len(lines) and (not stripped or line.startswith("    ")):
            if stripped:
                last = i + 1
            continue
        if current:
            blocks[current] = (first, last)
        match = _KEY.match(line)
        current, first, last = (match.group(1), i, i + 1) if match else (None, 0, 0)
        if not line.startswith(" ") and i < len(lines):
            break  # the next top-level section
    return blocks


def apply(text: str, staging: dict) -> tuple[str, list[str], list[str]]:
    lines = text.split("\n")
    staged = staging["responses"]
    keep = set(staging.get("keep_english") or {})
    done, missing = [], []
    blocks = _blocks(lines)
    # Work from the bottom up so earlier line numbers stay valid.
    for name, (first, last) in sorted(blocks.items(), key=lambda item: -item[1][0]):
        block = lines[first:last]
        if name in keep or any("name: language, value: cy" in line for line in block):
            continue
        if name not in staged:
            missing.append(name)
            continue
        for offset, line in enumerate(block):
            match = _CONDITION.match(line)
            if match and "name: language" not in line:
                lines[first + offset] = f"{match.group(1)}{match.group(2)}, {EN}{match.group(3)}"
            elif "condition:" in line and not match:
                raise SystemExit(f"{name}: a multi-line condition; edit it by hand")
        welsh = [out for variation in staged[name] for out in render_variation(variation)]
        lines[last:last] = welsh
        done.append(name)
    return "\n".join(lines), sorted(done), sorted(missing)


def add_new_responses(text: str, staging: dict) -> tuple[str, list[str]]:
    new = {k: v for k, v in (staging.get("new_responses") or {}).items() if f"  {k}:" not in text}
    if not new:
        return text, []
    lines = text.split("\n")
    blocks = _blocks(lines)
    end = max(last for _, last in blocks.values())
    added = [
        "",
        "  # --- Choosing the language (bot/: /cymraeg, /english, the widget's switch) --------",
    ]
    for name, texts in new.items():
        added.append(f"  {name}:")
        added.append(f"    - text: {_q(texts['en'])}")
        added.append(f"    - condition: [{CY}]")
        added.append(f"      text: {_q(texts['cy'])}")
    lines[end:end] = added
    return "\n".join(lines), sorted(new)


def main(argv: list[str]) -> int:
    staging = yaml.safe_load(STAGING.read_text(encoding="utf-8"))
    text = DOMAIN.read_text(encoding="utf-8")
    text, added = add_new_responses(text, staging)
    text, done, missing = apply(text, staging)
    yaml.safe_load(text)  # still valid YAML
    print(f"new responses: {', '.join(added) or 'none'}")
    print(f"Welsh added to {len(done)} responses")
    if missing:
        print("NOT TRANSLATED (add them to i18n/cy.yml): " + ", ".join(missing))
    if "--check" not in argv:
        DOMAIN.write_text(text, encoding="utf-8")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
