"""What people type is printed as typed: markup in every typed field reaches the briefing
sheet, the after-action report and the e-mails as the characters that were typed.

The PDFs are drawn with reportlab, whose Paragraph reads a small XML markup: unescaped, a
``<b>`` would turn bold and vanish from the text, an ``<a href>`` would become a live link
in an official's PDF reader, and an ``<img>`` or a lone ``&`` would make rendering fail.
E-mails are plain text only.
"""

from __future__ import annotations

import io
from xml.etree import ElementTree

import pytest
from django.core import mail
from django.core.management import call_command
from pypdf import PdfReader

from review.report import after_action_pdf
from tests.support.markup import marked_up_demonstration, name_everyone
from zones import selectors
from zones.briefing import render_briefing

MARKUP = ("Tom & Jerry <b>bold</b> <i>it's</i> \"quoted\" <img src=x> <br/> "
          '<a href="https://example.invalid/">sign in again</a>')


def typed(field: str) -> str:
    """What was typed into ``field``: a word naming the field, then the markup."""
    return f"{field} {MARKUP}"


def squashed(text: str) -> str:
    # A PDF's extracted text breaks lines (and long words) where the cell wrapped them.
    return "".join(text.split())


def pdf_text_and_links(data: bytes) -> tuple[str, list[str]]:
    """The text of every page, and every link target the PDF holds."""
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    links = []
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                links.append(str(action["/URI"]))
    return " ".join(page.extract_text() for page in reader.pages), links


@pytest.fixture
def named(alice, bob, carol, dave):
    name_everyone(typed, alice, bob, carol, dave)


def assert_printed_as_typed(data: bytes, *fields: str) -> None:
    text, links = pdf_text_and_links(data)
    for field in fields:
        assert squashed(typed(field)) in squashed(text), (field, text)
    assert not [link for link in links if "example.invalid" in link], links


def test_markup_typed_anywhere_prints_as_typed_on_the_briefing_sheet(named, alice, bob, carol):
    event = marked_up_demonstration(alice, bob, carol, typed=typed, title="title",
                                    conclude=False)
    pdf = render_briefing(selectors.briefing_of(event, reader=carol))
    assert_printed_as_typed(pdf, "title", "organisation", "contact", "zone label", "conditions",
                            "alice name", "bob name", "carol name")


def test_markup_typed_anywhere_prints_as_typed_in_the_after_action_report(
        named, alice, bob, carol):
    event = marked_up_demonstration(alice, bob, carol, typed=typed, title="title",
                                    conclude=True)
    pdf = after_action_pdf(event, reader=carol)
    assert_printed_as_typed(pdf, "title", "organisation", "contact", "state note", "zone label",
                            "conditions", "withdrawn label", "alice message", "bob message",
                            "officials message", "incident", "key moment", "alice name",
                            "bob name", "carol name")


def test_markup_typed_anywhere_reaches_the_emails_as_plain_text(named, alice, bob, carol):
    marked_up_demonstration(alice, bob, carol, typed=typed, title="title", conclude=False)
    call_command("run_notifier", "--once")
    sent = list(mail.outbox)
    assert sent
    for email in sent:
        assert email.content_subtype == "plain"
        assert not getattr(email, "alternatives", None)
        assert typed("title") in email.subject + email.body
    bodies = "\n".join(email.body for email in sent)
    assert typed("state note") in bodies


def test_markup_in_a_title_reaches_the_atom_feed_as_text(named, alice, bob, carol, client):
    """Feed readers show an Atom ``title`` as text unless it says ``type="html"``."""
    marked_up_demonstration(alice, bob, carol, typed=typed, title="title", conclude=False)
    response = client.get("/public/feed.atom")
    assert response.status_code == 200
    atom = "{http://www.w3.org/2005/Atom}"
    entries = ElementTree.fromstring(response.content).findall(f"{atom}entry")
    assert entries
    for entry in entries:
        title = entry.find(f"{atom}title")
        assert title.get("type", "text") == "text"
        assert typed("title") in title.text
        # Only Parley's own words are given as HTML.
        assert "example.invalid" not in ElementTree.tostring(entry.find(f"{atom}summary"),
                                                             encoding="unicode")
