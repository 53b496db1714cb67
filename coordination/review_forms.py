"""Forms of the after-action review pages: the timeline's filters and the reviewer note."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from coordination.review import KIND_GROUPS, PARTIES
from coordination.review_services import NOTE_MAX_CHARS
from events.forms import MinuteDateTimeField


class TimelineFilterForm(forms.Form):
    """What the timeline shows: a GET form, so a filtered view is a link to share."""

    kind = forms.MultipleChoiceField(
        label=_("Kind"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(name, label) for name, (label, _prefixes) in KIND_GROUPS.items()],
    )
    party = forms.MultipleChoiceField(
        label=_("Party"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=list(PARTIES.items()),
    )
    since = MinuteDateTimeField(label=_("From"), required=False)
    until = MinuteDateTimeField(label=_("To"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end must not be before the start."))
        return data

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``coordination.review.timeline_entries``."""
        self.is_valid()  # a wrong field is left out (and shown); the others still apply
        data = self.cleaned_data
        return {
            "groups": data.get("kind") or [], "parties": data.get("party") or [],
            "since": data.get("since"), "until": data.get("until"),
            "search": data.get("q") or "",
        }


class ReviewerNoteForm(forms.Form):
    body = forms.CharField(
        label=_("Your note"), max_length=NOTE_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": NOTE_MAX_CHARS}),
        help_text=_("Lessons learned. Notes are kept beside the log, never in it."),
    )
