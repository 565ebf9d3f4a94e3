"""addons/rasa_patches.py lists every change to Rasa's code, each is in place once Rasa has
loaded our components, and another Rasa is refused at start with a clear message."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import addons  # noqa: F401  (installs the patches, as Rasa's import of our components does)
from addons.rasa_patches import PATCHES, PINNED_RASA, WrongRasa, check_rasa_version, resolve

ROOT = Path(__file__).resolve().parents[2]


def test_the_pin_is_the_one_pyproject_installs():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.findall(r'"rasa==([\d.]+)"', pyproject) == [PINNED_RASA]


@pytest.mark.parametrize("patch", PATCHES, ids=[p.target for p in PATCHES])
def test_each_listed_patch_is_in_place_and_ours(patch):
    replaced = resolve(patch.target)
    replaced = getattr(replaced, "__func__", replaced)
    # The code that runs, not the name a wrapper copied from Rasa's function (functools.wraps).
    code = getattr(replaced, "__code__", None)
    defined_in = code.co_filename if code else inspect.getfile(replaced)
    assert defined_in.endswith(patch.where), (patch, defined_in)
    assert patch.why


def test_every_patch_in_the_code_is_listed():
    """Each assignment to a Rasa class or module attribute in addons/ is one listed target."""
    assigned = set()
    for path in (ROOT / "addons").glob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"\s+((?:rasa\.[\w.]+)|(?:[A-Z]\w+\.\w+)) = ", line)
            if match:
                assigned.add(match.group(1).split(".")[-1])
    listed = {patch.target.split(".")[-1] for patch in PATCHES}
    assert assigned == listed


def test_another_rasa_is_refused_with_a_clear_message():
    check_rasa_version(PINNED_RASA)
    with pytest.raises(WrongRasa, match=r"written for Rasa 3\.6\.21; this is Rasa 3\.7\.0"):
        check_rasa_version("3.7.0")
    assert "make install" in str(pytest.raises(WrongRasa, check_rasa_version, "3.6.20").value)
