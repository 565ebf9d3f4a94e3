"""Train the Rasa model only when data, domain or config changed.

The model is named after a hash of everything that goes into it, so an unchanged checkout
reuses the model from the last run: `python -m scripts.model` prints the model's path.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from scripts.processes import RASA_BIN

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
INPUTS = ["config.yml", "domain.yml", "data", "addons"]


def training_hash() -> str:
    digest = hashlib.sha256()
    for name in INPUTS:
        path = ROOT / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts:
                continue
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def ensure_model() -> Path:
    model = MODELS / f"aic-{training_hash()}.tar.gz"
    if model.exists():
        return model
    MODELS.mkdir(exist_ok=True)
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    subprocess.run(
        [
            str(RASA_BIN / "rasa"),
            "train",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            "data",
            "--out",
            str(MODELS),
            "--fixed-model-name",
            model.name.removesuffix(".tar.gz"),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    for old in MODELS.glob("aic-*.tar.gz"):
        if old != model:
            old.unlink()
    return model


if __name__ == "__main__":
    print(ensure_model())
