"""``{{ event.languages|language_names }}``: the names of languages, never their codes
(``coordination.languages.language_name``), joined with commas."""

from __future__ import annotations

from django import template

from coordination.languages import language_names as names_of

register = template.Library()


@register.filter
def language_names(codes: list | None) -> str:
    """The languages' names in the reader's language, joined with commas; "" for none."""
    return ", ".join(names_of(codes))
