"""Forms of the demonstration pages. They check each field's shape; the rules that make a
demonstration valid live in ``events.models`` and ``events.services`` and are checked there."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from leaflet.forms.widgets import LeafletWidget

from coordination.languages import spoken_language_choices
from events import selectors
from events.models import LONG_TEXT_MAX_CHARS, Event
from events.services import EDITABLE_FIELDS


class MinuteDateTimeField(forms.DateTimeField):
    """A ``datetime-local`` input, which has minute precision: a stored time with seconds
    is not "changed" just because the input cannot show its seconds."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

    def has_changed(self, initial, data):
        if isinstance(initial, dt.datetime):
            initial = initial.replace(second=0, microsecond=0)
        return super().has_changed(initial, data)


#: What the map fields say when nothing usable was placed on the map, instead of GeoDjango's
#: "No geometry value provided." (only the assembly point is required).
GEOMETRY_ERRORS = {
    "assembly_point": {
        "required": _("Mark the assembly point on the map."),
        "invalid_geom": _("The assembly point could not be read: place its marker on the "
                          "map again."),
        "invalid_geom_type": _("The assembly point is one marker: place it with the marker "
                               "tool."),
    },
    "route": {
        "invalid_geom": _("The route could not be read: draw it on the map again."),
        "invalid_geom_type": _("The route is a line: draw it with the line tool."),
    },
    "dispersal_point": {
        "invalid_geom": _("The dispersal point could not be read: place its marker on the "
                          "map again."),
        "invalid_geom_type": _("The dispersal point is one marker: place it with the marker "
                               "tool."),
    },
}


class LanguagesField(forms.MultipleChoiceField):
    """The languages of ``SPOKEN_LANGUAGES`` as checkboxes. A code not among them is
    reported by the demonstration's own rules (``Event.clean``), with every other mistake
    at once, rather than here alone."""

    def valid_value(self, value) -> bool:
        return True


class EventForm(forms.ModelForm):
    """Registering or editing a demonstration."""

    starts_at = MinuteDateTimeField(label=_("Starts at"))
    ends_at = MinuteDateTimeField(label=_("Ends at"))
    languages = LanguagesField(
        label=_("Languages"), required=False, choices=spoken_language_choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "language-choices"}),
        help_text=_("The languages the people at your demonstration speak."),
    )

    class Meta:
        model = Event
        fields = EDITABLE_FIELDS
        widgets = {
            "assembly_point": LeafletWidget(),
            "route": LeafletWidget(),
            "dispersal_point": LeafletWidget(),
            "description": forms.Textarea(attrs={"rows": 4, "maxlength": LONG_TEXT_MAX_CHARS}),
            "accessibility_needs": forms.Textarea(
                attrs={"rows": 3, "maxlength": LONG_TEXT_MAX_CHARS}),
            "contact_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "contact_name": forms.TextInput(attrs={"autocomplete": "name"}),
        }
        help_texts = {
            "assembly_point": _("Place a marker where people gather."),
            "route": _("For a march: draw the route with the line tool, click the last point "
                       "again to finish."),
            "dispersal_point": _("Optional: place a marker where the demonstration ends."),
            "counter_to": _("Only for a counter-demonstration: the demonstration it answers."),
            "publish_description": _("Off unless you tick it: the description is then shown "
                                     "to everyone on the public page."),
            "assembly_point_name": _("Optional: what people call the place, e.g. “the steps "
                                     "of City Hall”. Shown instead of its coordinates."),
            "dispersal_point_name": _("Optional: what people call the place where the "
                                      "demonstration ends."),
        }
        error_messages = GEOMETRY_ERRORS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        counter = selectors.events_visible_to(user)
        if self.instance.pk:
            counter = counter.exclude(pk=self.instance.pk)
        self.fields["counter_to"].queryset = counter.order_by("starts_at", "pk")
        self.fields["expected_attendance"].widget.attrs["min"] = 1
        timezone_name = timezone.get_current_timezone_name()
        for name in ("starts_at", "ends_at"):
            self.fields[name].help_text = _("Time zone: %(tz)s.") % {"tz": timezone_name}

    def _post_clean(self):
        # Not the model's full_clean(): events.services validates the whole demonstration
        # (including "the start is in the future") and reports every mistake at once; the
        # view puts those errors back on this form, next to their fields.
        pass


class EventFilterForm(forms.Form):
    """The filters above the list of demonstrations (a GET form)."""

    state = forms.MultipleChoiceField(
        label=_("State"), choices=Event.State.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    starts_after = forms.DateField(
        label=_("Starting from"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    starts_before = forms.DateField(
        label=_("Starting until"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def filters(self) -> dict:
        """Keyword arguments for ``events.selectors.filter_events`` (call after is_valid)."""
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        after = data.get("starts_after")
        before = data.get("starts_before")
        return {
            "state": data.get("state") or None,
            "starts_after": dt.datetime.combine(after, dt.time.min, tz) if after else None,
            "starts_before": dt.datetime.combine(before, dt.time.max, tz) if before else None,
        }


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("New state"), choices=Event.State.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
    #: Set by the confirmation page of a move that cannot be taken back (withdrawing).
    confirmed = forms.BooleanField(required=False)


class AddMemberForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
