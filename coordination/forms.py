"""Forms of the account pages."""

from django.contrib.auth.forms import UserCreationForm

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
