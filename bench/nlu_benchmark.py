"""NLU benchmark: held-out test sets and cross-validation, with Rasa's own `rasa test nlu`.

    .venv/bin/python -m bench.nlu_benchmark                      # held-out sets + 3-fold CV
    .venv/bin/python -m bench.nlu_benchmark --skip-cv            # held-out sets only
    .venv/bin/python -m bench.nlu_benchmark --cross-validation-folds 5 --keep results/bench
    .venv/bin/python -m bench.nlu_benchmark --model /tmp/other.tar.gz   # another trained model

Scores the assistant's own model (the one `make train` makes and `python -m scripts.model`
prints; trained here first if data, domain or config changed) on bench/heldout/en.yml, and on
bench/heldout/cy.yml (Welsh) beside it; both were written separately from the training data:
never copy their sentences into data/. An NLU-only training of the same data is not the same
model: the rules add `nlu_fallback` to the intent vocabulary DIET's labels are featurized with,
which changes its random initialization (English macro F1 0.949 against 0.972, all else equal).
Then runs `rasa test nlu --cross-validation` on the NLU data (data/nlu.yml and
data/lookups.yml, plus the Welsh data/nlu_cy.yml and data/lookups_cy.yml when present), and
prints intent accuracy, intent macro F1, entity F1 (micro over entity types,
RegexEntityExtractor) and the weakest intents. `rasa test nlu` scores the classifier's top
intent even where the FallbackClassifier would have replaced it with `nlu_fallback`; the
"low conf" column counts those messages (confidence under the threshold in config.yml): the
assistant would ask them to rephrase. Not part of the test run: cross-validation takes several
minutes; the held-out sets alone, with the model already trained, well under one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from scripts.model import ensure_model
from scripts.processes import RASA_BIN

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config.yml"
TRAINING_FILES = [ROOT / "data" / "nlu.yml", ROOT / "data" / "lookups.yml"]
# Welsh: the same intents and entities, trained into the same model (issue 7).
WELSH_TRAINING_FILES = [ROOT / "data" / "nlu_cy.yml", ROOT / "data" / "lookups_cy.yml"]
HELDOUT = ROOT / "bench" / "heldout" / "en.yml"
HELDOUT_CY = ROOT / "bench" / "heldout" / "cy.yml"
ENTITY_EXTRACTOR = "RegexEntityExtractor"
TARGET_MACRO_F1 = 0.95
# Missing a risk-to-life message is the worst error the assistant can make: always shown.
ALWAYS_SHOWN = ["crisis"]


@dataclass
class Scores:
    name: str
    examples: int
    accuracy: float
    macro_f1: float
    entity_f1: float | None
    per_intent: dict[str, dict[str, float]] = field(default_factory=dict)
    per_entity: dict[str, dict[str, float]] = field(default_factory=dict)
    low_confidence: int = 0
    errors: list[dict] = field(default_factory=list)


def _rasa(args: list[str], log: Path) -> None:
    """Run the rasa CLI (the same code path as `rasa ...` in a shell) from the project root."""
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}
    command = [str(RASA_BIN / "python"), "-m", "rasa", *args]
    with log.open("w", encoding="utf-8") as out:
        result = subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:])
        raise SystemExit(f"`rasa {' '.join(args)}` failed (exit {result.returncode}):\n{tail}")


def _load_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def read_scores(name: str, report_dir: Path) -> Scores:
    """Scores from the reports `rasa test nlu` wrote to `report_dir`."""
    intents = _load_json(report_dir / "intent_report.json")
    if not intents:
        raise SystemExit(f"no intent_report.json in {report_dir}")
    summary_keys = {"accuracy", "macro avg", "weighted avg", "micro avg"}
    per_intent = {k: v for k, v in intents.items() if k not in summary_keys and isinstance(v, dict)}
    support = sum(int(v.get("support", 0)) for v in per_intent.values())
    errors = _load_json(report_dir / "intent_errors.json") or []
    successes = _load_json(report_dir / "intent_successes.json") or []
    threshold = fallback_threshold()
    low_confidence = sum(
        1
        for e in [*errors, *successes]
        if (e.get("intent_prediction") or {}).get("confidence", 1.0) < threshold
    )
    # The label set includes intents that were predicted but never expected (nlu_fallback):
    # they have support 0 and f1 0 and would drag the macro average down for no reason, so
    # the macro F1 here is over the intents in the test set, as the contract lists them.
    expected = {k: v for k, v in per_intent.items() if int(v.get("support", 0)) > 0}
    macro_f1 = sum(v["f1-score"] for v in expected.values()) / len(expected)

    entities = _load_json(report_dir / f"{ENTITY_EXTRACTOR}_report.json")
    per_entity = {
        k: v
        for k, v in entities.items()
        if k not in summary_keys and k != "no_entity" and isinstance(v, dict)
    }
    entity_f1 = None
    if entities:
        micro = entities.get("micro avg")
        if isinstance(micro, dict):
            entity_f1 = micro["f1-score"]
        elif per_entity:  # sklearn drops "micro avg" when it equals accuracy
            entity_f1 = entities.get("accuracy")
    return Scores(
        name=name,
        examples=support,
        accuracy=float(intents["accuracy"]),
        macro_f1=macro_f1,
        entity_f1=entity_f1,
        per_intent=expected,
        per_entity=per_entity,
        low_confidence=low_confidence,
        errors=errors,
    )


def fallback_threshold() -> float:
    """The FallbackClassifier's threshold in config.yml (0 when there is none)."""
    import yaml

    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    for component in config.get("pipeline") or []:
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))
    return 0.0


def copy_nlu_data(work: Path) -> Path:
    data = work / "data"
    data.mkdir()
    for path in TRAINING_FILES + [p for p in WELSH_TRAINING_FILES if p.exists()]:
        shutil.copy(path, data / path.name)
    return data


def evaluate_heldout(work: Path, model: Path, heldout: Path, name: str = "held-out") -> Scores:
    out = work / name.replace(" ", "_").replace("-", "")
    _rasa(
        [
            "test",
            "nlu",
            "--model",
            str(model),
            "--nlu",
            str(heldout),
            "--out",
            str(out),
            "--no-plot",
            "--successes",
        ],
        work / f"{out.name}.log",
    )
    return read_scores(name, out)


def merge_lookup_tables(source: Path, target: Path) -> None:
    """Copy the NLU files in `source` to `target`, with same-named lookup tables merged.

    Rasa's cross-validation writes each fold's training data back to YAML, and its writer keeps
    only the last lookup table of each name: with `platform` in both lookups.yml and
    lookups_cy.yml, the folds would lose the English tables (entity recall near zero, and
    weaker intent features). `rasa train` itself keeps every table, so the merged file gives
    the folds what the real model has. Entries stay longest first (see data/lookups.yml).
    """
    import yaml

    target.mkdir()
    tables: dict[str, list[str]] = {}
    regexes: list[dict] = []
    for path in sorted(source.glob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        items = content.get("nlu") or []
        if not any("lookup" in item for item in items):
            shutil.copy(path, target / path.name)
            continue
        for item in items:
            if "lookup" in item:
                elements = [line.strip()[2:].strip() for line in item["examples"].splitlines()]
                tables.setdefault(item["lookup"], []).extend(e for e in elements if e)
            else:
                regexes.append(item)
    merged = [
        {
            "lookup": name,
            "examples": "".join(
                f"- {e}\n" for e in sorted(dict.fromkeys(elements), key=lambda e: (-len(e), e))
            ),
        }
        for name, elements in tables.items()
    ]
    with (target / "lookups_merged.yml").open("w", encoding="utf-8") as handle:
        yaml.safe_dump(
            {"version": "3.1", "nlu": merged + regexes}, handle, allow_unicode=True, width=10**6
        )


def cross_validate(work: Path, folds: int) -> Scores:
    out = work / "cv"
    merge_lookup_tables(copy_nlu_data(work), work / "cv_data")
    _rasa(
        [
            "test",
            "nlu",
            "--config",
            str(CONFIG),
            "--nlu",
            str(work / "cv_data"),
            "--cross-validation",
            "--folds",
            str(folds),
            "--out",
            str(out),
            "--no-plot",
            "--successes",
        ],
        work / "cv.log",
    )
    return read_scores(f"CV {folds}-fold", out)


def _fmt(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:.3f}"


def _row(name: str, r: dict[str, float]) -> str:
    scores = f"{r['f1-score']:.3f} / {r['precision']:.3f} / {r['recall']:.3f}"
    return f"  {name:22} {scores} / {int(r['support'])}"


def render(results: list[Scores], weakest: int, show_errors: int) -> str:
    header = ["", "examples", "intent acc", "macro F1", "entity F1", "low conf"]
    lines = ["{:14} {:>8} {:>10} {:>9} {:>9} {:>8}".format(*header)]
    for s in results:
        lines.append(
            f"{s.name:14} {s.examples:>8} {_fmt(s.accuracy):>10} {_fmt(s.macro_f1):>9} "
            f"{_fmt(s.entity_f1):>9} {s.low_confidence:>8}"
        )
    for s in results:
        ranked = sorted(s.per_intent.items(), key=lambda kv: (kv[1]["f1-score"], kv[0]))
        shown = ranked[:weakest] + [
            (k, s.per_intent[k])
            for k in ALWAYS_SHOWN
            if k in s.per_intent and k not in dict(ranked[:weakest])
        ]
        lines.append(f"\n{s.name}: weakest intents (F1 / precision / recall / support)")
        for intent, r in shown:
            lines.append(_row(intent, r))
        if s.per_entity:
            lines.append(f"{s.name}: entities (F1 / precision / recall / support, token level)")
            for entity, r in sorted(s.per_entity.items()):
                lines.append(_row(entity, r))
        if show_errors and s.errors:
            shown_errors = min(show_errors, len(s.errors))
            lines.append(f"{s.name}: first {shown_errors} of {len(s.errors)} intent errors")
            for e in s.errors[:show_errors]:
                predicted = e.get("intent_prediction") or {}
                guess = f"{predicted.get('name')} ({predicted.get('confidence', 0):.2f})"
                lines.append(f"  {e['intent']:>20} -> {guess}: {e['text']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cross-validation-folds", type=int, default=3, metavar="N")
    parser.add_argument("--skip-cv", action="store_true", help="only the held-out set")
    parser.add_argument("--heldout", type=Path, default=HELDOUT, help="held-out NLU file")
    parser.add_argument(
        "--heldout-cy", type=Path, default=HELDOUT_CY, help="Welsh held-out NLU file"
    )
    parser.add_argument("--weakest", type=int, default=6, help="how many weakest intents to list")
    parser.add_argument(
        "--show-errors", type=int, default=0, metavar="N", help="list N misclassified messages"
    )
    parser.add_argument("--keep", type=Path, help="keep the logs and Rasa's reports here")
    parser.add_argument(
        "--model",
        type=Path,
        help="score this trained model instead, on the held-out sets only (no CV)",
    )
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="nlu-bench-"))
    started = time.monotonic()
    try:
        if args.model:
            args.skip_cv = True
        model = args.model.resolve() if args.model else ensure_model()
        print("evaluating on the held-out set...", flush=True)
        results = [evaluate_heldout(work, model, args.heldout)]
        if args.heldout_cy and args.heldout_cy.exists():
            # Printed beside English: the same model, Welsh messages.
            results.append(evaluate_heldout(work, model, args.heldout_cy, "held-out cy"))
        if not args.skip_cv:
            print(f"cross-validating ({args.cross_validation_folds} folds)...", flush=True)
            results.append(cross_validate(work, args.cross_validation_folds))
        print()
        print(render(results, args.weakest, args.show_errors))
        heldout = results[0]
        verdict = "meets" if heldout.macro_f1 >= TARGET_MACRO_F1 else "is below"
        print(
            f"\nheld-out intent macro F1 {heldout.macro_f1:.3f} {verdict} the"
            f" {TARGET_MACRO_F1} target ({time.monotonic() - started:.0f}s)"
        )
    finally:
        if args.keep:
            if args.keep.exists():
                shutil.rmtree(args.keep)
            shutil.copytree(work, args.keep)
            print(f"logs and reports kept in {args.keep}")
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
