"""Strict checks of an Atom document (RFC 4287): the RELAX NG schema of its Appendix B, the
rules that schema leaves to Schematron, absolute ids, and the reference parser's verdict."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
SCHEMA = Path(__file__).parent / "atom" / "atom.rng"


@cache
def atom_schema() -> etree.RelaxNG:
    """RFC 4287's RELAX NG schema (vendored in tests/support/atom/, source noted there)."""
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


def atom_problems(content: bytes) -> list[str]:
    """Every way ``content`` breaks RFC 4287 that these checks can see; empty if none."""
    document = etree.fromstring(content)
    schema = atom_schema()
    problems = [] if schema.validate(document) else [str(e) for e in schema.error_log]
    # The schema's Schematron rules, which RELAX NG validators skip.
    feed_has_author = document.find(f"{ATOM}author") is not None
    for entry in document.iter(f"{ATOM}entry"):
        if not feed_has_author and entry.find(f"{ATOM}author") is None:
            problems.append("an entry has no atom:author and neither has its feed")
        links = [link.get("rel", "alternate") for link in entry.iter(f"{ATOM}link")]
        if "alternate" not in links and entry.find(f"{ATOM}content") is None:
            problems.append("an entry has neither an alternate link nor content")
    # 4.2.6: atom:id is an absolute IRI.
    for element in document.iter(f"{ATOM}id"):
        if not urlsplit(element.text or "").scheme:
            problems.append(f"atom:id {element.text!r} is not an absolute IRI")
    parsed = feedparser.parse(content)
    if parsed.bozo:
        problems.append(f"feedparser: {parsed.get('bozo_exception')}")
    return problems
