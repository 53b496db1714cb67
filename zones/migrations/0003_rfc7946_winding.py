"""Wind every stored zone shape as RFC 7946 (3.1.6) asks of GeoJSON: outlines
counter-clockwise, holes clockwise. Only the direction of the rings changes, never a
position or the area, so the zones' ``updated_at`` and agreements stay as they are.

The log entries that copied a shape are not touched: the hash chain covers them as written.
"""

from django.db import migrations


def _wound(ring, *, counterclockwise):
    from django.contrib.gis.geos import LinearRing

    if ring.is_counterclockwise == counterclockwise:
        return ring
    return LinearRing(list(reversed(ring.coords)), srid=ring.srid)


def _rfc7946(geometry):
    # A copy of zones.geometry.rfc7946_wound as it is today, so this migration never changes.
    from django.contrib.gis.geos import MultiPolygon, Polygon

    if geometry is None or geometry.empty or geometry.geom_type not in ("Polygon",
                                                                       "MultiPolygon"):
        return geometry
    polygons = [geometry] if geometry.geom_type == "Polygon" else list(geometry)
    wound = [Polygon(_wound(p[0], counterclockwise=True),
                     *[_wound(hole, counterclockwise=False) for hole in p[1:]])
             for p in polygons]
    result = wound[0] if geometry.geom_type == "Polygon" else MultiPolygon(*wound)
    result.srid = geometry.srid
    return result


def wind_stored_shapes(apps, schema_editor):
    for name in ("Zone", "ZoneVersion"):
        model = apps.get_model("zones", name)
        for pk, geometry in model.objects.values_list("pk", "geometry").iterator():
            wound = _rfc7946(geometry)
            if wound is not None and wound.coords != geometry.coords:
                # update(), not save(): no auto_now, no other field written.
                model.objects.filter(pk=pk).update(geometry=wound)


class Migration(migrations.Migration):

    dependencies = [
        ("zones", "0002_incident"),
    ]

    operations = [
        # Backwards there is nothing to undo: the old winding was whatever was sent.
        migrations.RunPython(wind_stored_shapes, migrations.RunPython.noop),
    ]
