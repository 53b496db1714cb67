"""Forms of the account pages."""

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from coordination.languages import language_choices
from coordination.models import User
from coordination.parties import Role


class OrganiserSignUpForm(UserCreationForm):
    """Organisers sign themselves up; every other role is made by a city administrator."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "first_name", "last_name", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name", "email"):
            self.fields[name].required = True
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["first_name"].widget.attrs["autocomplete"] = "given-name"
        self.fields["last_name"].widget.attrs["autocomplete"] = "family-name"

    def save(self, commit=True):
        user = super().save(commit=False)
        user.role = Role.ORGANISER
        if commit:
            user.save()
        return user


class LanguageSettingForm(forms.ModelForm):
    """The language a person reads Parley in; empty: their browser's."""

    class Meta:
        model = User
        fields = ["language"]
        help_texts = {"language": _("Pages, messages from the service, standard instructions "
                                    "and e-mails come in this language.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("My browser's language")),
                                           *language_choices()]
