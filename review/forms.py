"""Forms of the after-action review pages: the timeline's filters and the reviewer note."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from coordination.log import RECEIPT_FORMAT, Receipt, parse_receipt
from coordination.log.kinds import LogGroup
from events.forms import MinuteDateTimeField
from review.services import NOTE_MAX_CHARS
from review.timeline import PARTIES


class TimelineFilterForm(forms.Form):
    """What the timeline shows: a GET form, so a filtered view is a link to share."""

    kind = forms.MultipleChoiceField(
        label=_("Kind"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=LogGroup.choices,
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
        """Keyword arguments for ``review.timeline.timeline_entries``."""
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


#: Receipts checked at once on the review page (every state change of a demonstration fits).
MAX_RECEIPTS = 50


class ReceiptCheckForm(forms.Form):
    """Receipts of the log to check, one per line (a GET form: nothing is written)."""

    receipts = forms.CharField(
        label=_("Receipts, one per line"), max_length=MAX_RECEIPTS * 100,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("As the event page, the e-mails to organisers and the public page give "
                    "them: the entry's number, a colon and its hash (SEQ:HASH)."),
    )

    def clean_receipts(self) -> list[Receipt]:
        lines = [line for line in self.cleaned_data["receipts"].splitlines() if line.strip()]
        if len(lines) > MAX_RECEIPTS:
            raise forms.ValidationError(
                _("Check at most %(count)d receipts at once.") % {"count": MAX_RECEIPTS})
        receipts, wrong = [], []
        for line in lines:
            try:
                receipts.append(parse_receipt(line))
            except ValueError:
                wrong.append(line.strip())
        if wrong or not receipts:
            raise forms.ValidationError(
                _("Write each receipt as %(format)s: the entry's number (1 or more), a colon "
                  "and its 64-digit hash. Not a receipt: %(wrong)s")
                % {"format": RECEIPT_FORMAT, "wrong": ", ".join(wrong) or "—"})
        return receipts
