"""Which language a person reads: their own setting, then their browser's, then the default.

One rule for pages, the API, the live channel and e-mails, so that a person sees Parley in
the same language everywhere.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language_info, get_supported_language_variant
from django.utils.translation import gettext_lazy as _
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


#: Languages a demonstration's people may speak (an event's ``languages``), by code: those
#: most spoken in the cities Parley serves, and the sign languages. Not the languages Parley
#: ships (``settings.LANGUAGES``): organisers ask for the languages of their people.
SPOKEN_LANGUAGES: dict[str, str] = {
    "am": _("Amharic"),
    "ar": _("Arabic"),
    "ase": _("American Sign Language"),
    "bn": _("Bengali"),
    "de": _("German"),
    "el": _("Greek"),
    "en": _("English"),
    "es": _("Spanish"),
    "fa": _("Persian"),
    "fr": _("French"),
    "he": _("Hebrew"),
    "hi": _("Hindi"),
    "ht": _("Haitian Creole"),
    "it": _("Italian"),
    "ja": _("Japanese"),
    "ko": _("Korean"),
    "ku": _("Kurdish"),
    "ne": _("Nepali"),
    "nl": _("Dutch"),
    "om": _("Oromo"),
    "pl": _("Polish"),
    "ps": _("Pashto"),
    "pt": _("Portuguese"),
    "ro": _("Romanian"),
    "ru": _("Russian"),
    "so": _("Somali"),
    "sw": _("Swahili"),
    "ti": _("Tigrinya"),
    "tl": _("Tagalog"),
    "tr": _("Turkish"),
    "uk": _("Ukrainian"),
    "ur": _("Urdu"),
    "vi": _("Vietnamese"),
    "zh": _("Chinese"),
}


def spoken_language_choices() -> list[tuple[str, str]]:
    """``SPOKEN_LANGUAGES`` as form choices, sorted by their name in the current language."""
    return sorted(((code, str(name)) for code, name in SPOKEN_LANGUAGES.items()),
                  key=lambda choice: choice[1].casefold())


def unknown_languages(codes: list) -> list[str]:
    """The entries of ``codes`` that are not codes of ``SPOKEN_LANGUAGES`` (as text)."""
    return [str(code) for code in codes if not isinstance(code, str)
            or code not in SPOKEN_LANGUAGES]


def language_name(code: str) -> str:
    """The name of language ``code`` for people: in the reader's language where Django knows
    it, else as ``SPOKEN_LANGUAGES`` names it, else the code itself. Never a bare code for a
    language the form offers."""
    try:
        return str(get_language_info(code)["name_translated"])
    except KeyError:
        return str(SPOKEN_LANGUAGES.get(code, code))


def language_names(codes: list | None) -> list[str]:
    """``language_name`` of each of ``codes``, in their order."""
    return [language_name(str(code)) for code in codes or []]
