"""Checks on the text people type, shared by every way text comes in (pages, the API, the
live channel), so that one rule answers the same everywhere."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

#: What no text Parley keeps may contain: NUL (PostgreSQL's text and jsonb refuse it) and
#: lone surrogates (not Unicode at all: UTF-8, so the database and the log's hash, cannot
#: encode them). A JSON escape such as ``\\ud800`` brings one in.
_SURROGATES = range(0xD800, 0xE000)


def unstorable_character(text: str) -> str | None:
    """The first character of ``text`` that cannot be stored, or None."""
    for character in text:
        if character == "\x00" or ord(character) in _SURROGATES:
            return character
    return None


def validate_storable_text(text: str) -> None:
    """Refuse text that the database or the log cannot keep (see ``unstorable_character``)."""
    character = unstorable_character(text)
    if character is not None:
        raise ValidationError(
            _("The text contains a character that cannot be stored (U+%(code)s)."),
            code="invalid", params={"code": f"{ord(character):04X}"},
        )
