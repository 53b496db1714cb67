"""The French and Spanish catalogues compile, leave nothing untranslated, and the compiled
``.mo`` files in the repository say what their ``.po`` files say (a stale ``.mo`` would
show yesterday's words, or English, with every ``.po`` test green)."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"
CATALOGS = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))

pytestmark = [
    pytest.mark.subprocess,
    pytest.mark.skipif(shutil.which("msgfmt") is None, reason="msgfmt (gettext) is not installed"),
]


def compile_catalog(po: Path, mo: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["msgfmt", "--check-format", "--check-domain", "--statistics", "-o", str(mo), str(po)],
        capture_output=True, text=True, check=False, env={"LC_ALL": "C"})


def messages_of(mo: Path) -> dict:
    with mo.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)


def test_french_and_spanish_both_ship():
    assert {path.parent.parent.name for path in CATALOGS} >= {"fr", "es"}


@pytest.mark.parametrize("po", CATALOGS, ids=lambda path: f"{path.parent.parent.name}-{path.stem}")
def test_each_catalogue_compiles_complete_and_its_mo_is_up_to_date(po, tmp_path):
    fresh = tmp_path / "fresh.mo"
    result = compile_catalog(po, fresh)

    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"\d+ translated messages\.\n", result.stderr), result.stderr
    committed = po.with_suffix(".mo")
    assert committed.exists(), f"{committed} is missing: run `make messages`"
    assert messages_of(committed) == messages_of(fresh), (
        f"{committed} is older than {po.name}: run `make messages` and commit both")
