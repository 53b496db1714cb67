"""The city's form for a standard instruction: one text box per language."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from messaging.models import REFERENCE_LANGUAGE, StandardInstruction


class StandardInstructionForm(forms.ModelForm):
    """Label, order, in use or not, and a text per language (English required)."""

    class Meta:
        model = StandardInstruction
        fields = ["label", "position", "active"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        texts = self.instance.texts or {}
        for code, name in settings.LANGUAGES:
            self.fields[f"text_{code}"] = forms.CharField(
                label=_("Text in %(language)s") % {"language": name},
                required=code == REFERENCE_LANGUAGE, initial=texts.get(code, ""),
                max_length=settings.PARLEY_MESSAGE_MAX_CHARS,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=None if code == REFERENCE_LANGUAGE else _(
                    "Optional: readers of this language see the English text without it."),
            )

    def text_fields(self) -> list:
        return [self[f"text_{code}"] for code, _name in settings.LANGUAGES]

    def clean(self) -> dict:
        cleaned = super().clean()
        self.instance.texts = {
            code: cleaned[f"text_{code}"].strip() for code, _name in settings.LANGUAGES
            if cleaned.get(f"text_{code}", "").strip()
        }
        return cleaned
