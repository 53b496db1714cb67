"""The repository stands alone: no tracked file sends its reader to a document that is not in
it, and every ``docs/….md`` a file names exists. A clone is all a newcomer gets: the interface
is docs/protocol.md, the design docs/architecture.md."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess  # git ls-files

ROOT = Path(__file__).resolve().parents[2]

# Spelled in pieces, so that this file does not name them itself.
OUTSIDE = re.compile("|".join([
    r"\bCONTRACT" + r"\.md", r"\bDESIGN" + r"\.md", r"\bSTYLE" + r"\.md", r"STACK-" + r"NOTES",
    r"\.\./" + r"shared\b", r"/work/" + r"shared\b",
]))
#: ``docs/<name>.md`` anywhere, and ``](<name>.md)`` links between the docs themselves.
DOC_PATH = re.compile(r"\bdocs/([\w-]+\.md)")
DOC_LINK = re.compile(r"\]\(([\w-]+\.md)(?:#[\w-]*)?\)")


def tracked_text_files() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    files = []
    for name in filter(None, names):
        path = ROOT / name
        if not path.is_file():
            continue  # deleted in the working tree, not yet committed
        data = path.read_bytes()
        if b"\0" not in data[:8192]:  # text, not an image or a font
            files.append(path)
    return files


def test_no_tracked_file_refers_to_documents_outside_the_repository():
    files = tracked_text_files()
    assert len(files) > 100, "git ls-files found too little"

    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace")
                                      .splitlines(), start=1)
        if OUTSIDE.search(line)
    ]

    assert not offenders, "refers to something outside the repository:\n" + "\n".join(offenders)


def test_every_document_named_in_the_repository_exists():
    docs = ROOT / "docs"
    missing = []
    for path in tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        named = set(DOC_PATH.findall(text))
        if path.parent == docs:  # links between the docs are relative to docs/
            named |= set(DOC_LINK.findall(text))
        missing += [f"{path.relative_to(ROOT)} → docs/{name}" for name in sorted(named)
                    if not (docs / name).is_file()]

    assert not missing, "names a document that does not exist:\n" + "\n".join(missing)
