"""The GeoJSON shape of a zone (docs/protocol.md, "Zones"): a Feature with its properties."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from coordination.parties import Role
from zones import selectors
from zones.geometry import parse_zone_geometry
from zones.models import Zone, ZoneVersion

#: The order in which ``agreed_by`` lists the parties, whoever agreed first.
PARTY_ORDER = {Role.ORGANISER: 0, Role.POLICE: 1, Role.CITY: 2}
CONDITIONS_MAX_CHARS = 4000


class ZoneGeometryField(GeometryField):
    """A GeoJSON Polygon or MultiPolygon, checked by ``zones.geometry`` in words."""

    def to_internal_value(self, value):
        try:
            return parse_zone_geometry(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class AgreementSerializer(serializers.Serializer):
    """Who agreed for a party, and when."""

    party = serializers.CharField()
    name = serializers.CharField(source="user.display_name")
    at = serializers.DateTimeField()


def _agreed_by(agreements) -> list[str]:
    return sorted({a.party for a in agreements}, key=lambda party: PARTY_ORDER.get(party, 9))


class ZoneSerializer(GeoFeatureModelSerializer):
    """A zone as a GeoJSON Feature; validates what a client may write (kind, label,
    conditions, times, geometry). Writes go through ``zones.services``."""

    geometry = ZoneGeometryField()
    conditions = serializers.CharField(required=False, allow_blank=True,
                                       max_length=CONDITIONS_MAX_CHARS)
    agreed_by = serializers.SerializerMethodField(
        help_text=_("The parties that have agreed the current version.")
    )
    agreements = serializers.SerializerMethodField(
        help_text=_("Who agreed the current version for each party, and when.")
    )

    class Meta:
        model = Zone
        geo_field = "geometry"
        fields = [
            "id", "event", "kind", "label", "conditions", "version", "valid_from", "valid_to",
            "status", "agreed_by", "agreements", "created_at", "updated_at",
        ]
        read_only_fields = ["id", "event", "version", "status", "created_at", "updated_at"]

    def get_agreed_by(self, zone: Zone) -> list[str]:
        return _agreed_by(selectors.current_agreements(zone))

    @extend_schema_field(AgreementSerializer(many=True))
    def get_agreements(self, zone: Zone) -> list[dict]:
        return AgreementSerializer(selectors.current_agreements(zone), many=True).data

    def unformat_geojson(self, feature):
        # A Feature's properties must be an object: say so rather than fail on it.
        if not isinstance(feature.get("properties"), dict):
            raise serializers.ValidationError(
                {"properties": [_("A Feature's properties are a JSON object.")]}
            )
        return super().unformat_geojson({**feature, "properties": dict(feature["properties"])})

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [_("Send a GeoJSON Feature (or its properties and "
                                        "geometry as one JSON object).")]}
            )
        return super().to_internal_value(data)

    def to_representation(self, instance):
        feature = super().to_representation(instance)
        # docs/protocol.md lists ``id`` among the properties; GeoJSON also has it on the Feature.
        feature["properties"] = {"id": feature["id"], **feature["properties"]}
        return feature


class ZoneVersionSerializer(GeoFeatureModelSerializer):
    """One version of a zone as a Feature, with the same properties as the zone's."""

    id = serializers.IntegerField(source="zone_id", read_only=True)
    event = serializers.IntegerField(source="zone.event_id", read_only=True, allow_null=True)
    label = serializers.CharField(source="zone.label", read_only=True)
    version = serializers.IntegerField(source="number", read_only=True)
    status = serializers.SerializerMethodField()
    agreed_by = serializers.SerializerMethodField()
    agreements = AgreementSerializer(many=True, read_only=True)
    proposed_by = serializers.CharField(source="created_by.display_name", read_only=True)
    proposed_at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = ZoneVersion
        geo_field = "geometry"
        id_field = False
        fields = [
            "id", "event", "kind", "label", "conditions", "version", "valid_from", "valid_to",
            "status", "agreed_by", "agreements", "proposed_by", "proposed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=Zone.Status.choices))
    def get_status(self, version: ZoneVersion) -> str:
        return selectors.version_status(version)

    def get_agreed_by(self, version: ZoneVersion) -> list[str]:
        return _agreed_by(version.agreements.all())


class AgreeSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)


def zone_feature(zone: Zone) -> dict:
    """The zone as the API and the live channel's ``zone`` frame show it."""
    return ZoneSerializer(zone).data
