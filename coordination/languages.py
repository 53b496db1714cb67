"""Which language a person reads: their own setting, then their browser's, then the default.

One rule for pages, the API, the live channel and e-mails, so that a person sees Parley in
the same language everywhere.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header


def language_choices() -> list[tuple[str, str]]:
    """The languages Parley ships, as form choices (code, name)."""
    return list(settings.LANGUAGES)


def supported_language(code: str | None) -> str | None:
    """``code`` (e.g. ``"fr-CA"``) as a language Parley ships (``"fr"``), or None."""
    if not code:
        return None
    try:
        return get_supported_language_variant(code)
    except LookupError:
        return None


def language_from_accept_header(header: str | None) -> str | None:
    """The best language Parley ships from an ``Accept-Language`` header, or None."""
    for code, _quality in parse_accept_lang_header(header or ""):
        if code == "*":
            break
        found = supported_language(code)
        if found:
            return found
    return None


def language_for(user, accept_language: str | None = None) -> str:
    """The language to show ``user``: their setting, then ``accept_language``, then the
    site's default."""
    own = supported_language(getattr(user, "language", "") or None)
    return own or language_from_accept_header(accept_language) or settings.LANGUAGE_CODE
