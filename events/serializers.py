"""The JSON shape of a demonstration (docs/protocol.md, "Demonstrations")."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField

from events.models import Event
from events.workflow import ALLOWED_FROM

CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")


class GeoJSONGeometryField(GeometryField):
    """A GeoJSON geometry object (RFC 7946); anything else is refused in words, not GDAL's."""

    def to_internal_value(self, value):
        try:
            if not isinstance(value, dict):
                raise DjangoValidationError("not a GeoJSON object")
            return super().to_internal_value(value)
        except (DjangoValidationError, serializers.ValidationError):
            raise serializers.ValidationError(
                _('This is not a GeoJSON geometry, such as {"type": "Point", '
                  '"coordinates": [longitude, latitude]}.')
            ) from None


class EventSerializer(serializers.ModelSerializer):
    """Reads and validates the shape of an event; writes go through ``events.services``."""

    assembly_point = GeoJSONGeometryField()
    route = GeoJSONGeometryField(required=False, allow_null=True)
    dispersal_point = GeoJSONGeometryField(required=False, allow_null=True)
    organiser = serializers.CharField(source="organiser.username", read_only=True)
    # A missing id reads as a hidden one (validate_counter_to): "No such demonstration.".
    counter_to = serializers.PrimaryKeyRelatedField(
        queryset=Event.objects.all(), required=False, allow_null=True,
        error_messages={"does_not_exist": _("No such demonstration.")},
    )
    languages = serializers.ListField(
        child=serializers.CharField(max_length=16), required=False, max_length=20
    )

    class Meta:
        model = Event
        fields = [
            "id", "reference", "title", "kind", "counter_to", "organisation", "description",
            "expected_attendance", "stewards", "starts_at", "ends_at", "assembly_point",
            "assembly_point_name", "route", "dispersal_point", "dispersal_point_name",
            "amplified_sound", "accessibility_needs", "languages",
            "contact_name", "contact_phone", "contact_email", "public", "publish_description",
            "state", "organiser", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "reference", "state", "organiser", "created_at", "updated_at"]
        extra_kwargs = {"expected_attendance": {"min_value": 1}, "stewards": {"min_value": 0}}

    def validate_counter_to(self, value):
        # A counter-demonstration may only name an event its organiser can see; anything
        # else reads as "no such event", as everywhere else.
        request = self.context.get("request")
        if value is not None and request and not request.user.has_perm("events.view_event", value):
            raise serializers.ValidationError(_("No such demonstration."))
        return value

    def validate(self, attrs):
        geometry_types = {"assembly_point": "Point", "dispersal_point": "Point",
                          "route": "LineString"}
        errors = {}
        for field, expected in geometry_types.items():
            geometry = attrs.get(field)
            if geometry is not None and geometry.geom_type != expected:
                errors[field] = [_("Expected a GeoJSON %(type)s.") % {"type": expected}]
            elif geometry is not None:
                geometry.srid = 4326
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not request.user.has_perm("events.view_event_contacts", instance):
            for field in CONTACT_FIELDS:
                data.pop(field, None)
        return data


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=sorted(ALLOWED_FROM))
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class MemberSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    name = serializers.CharField(read_only=True)
    role = serializers.CharField(read_only=True)
