"""What the tests read of the page scripts (static/**/*.js) and of the JavaScript catalog."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"

#: gettext("…") / pgettext("context", "…") / ngettext("…", "…", n) in a script: the words
#: `make messages` collects into djangojs.po.
_GETTEXT = re.compile(r'\b(?:gettext|ngettext)\(\s*"((?:[^"\\]|\\.)*)"')
_PGETTEXT = re.compile(r'\bpgettext\(\s*"((?:[^"\\]|\\.)*)",\s*"((?:[^"\\]|\\.)*)"')


def page_scripts() -> list[Path]:
    """Parley's own scripts (no vendored file lives under static/)."""
    return sorted(STATIC.rglob("*.js"))


def words_of(script: Path) -> set[str]:
    """The English words a script asks the catalog for, as the catalog keys them (a word
    with a context: "context\x04word")."""
    text = script.read_text(encoding="utf-8")
    words = {json.loads(f'"{word}"') for word in _GETTEXT.findall(text)}
    words |= {json.loads(f'"{context}"') + "\x04" + json.loads(f'"{word}"')
              for context, word in _PGETTEXT.findall(text)}
    return words


def catalog_of(response) -> dict:
    """The translations in an /i18n/catalog/<language>.js answer (JavaScriptCatalog's script)."""
    text = response.content.decode()
    match = re.search(r"const newcatalog = (\{.*?\n\s*\});", text, re.S)
    assert match, text[:500]
    return json.loads(match.group(1))
