"""Log entries keep a shape as a GeoJSON object; entries written when shapes were kept as
GeoJSON text stay as they were (the chain covers them) and still read everywhere."""

from __future__ import annotations

import json

from django.contrib.gis.geos import Point
from django.db import transaction

from coordination import log
from coordination.log import geometry_from_log, verify_event_log
from coordination.models import LogEntry
from events import services
from review import exports
from review.report import render_report
from review.report_data import report_of
from review.timeline import timeline_rows
from tests.support.pdf import pdf_text
from tests.support.zones import make_zone

OLD_STYLE_POINT = '{ "type": "Point", "coordinates": [ -82.9988, 39.9612 ] }'


def data_of(event, kind: str) -> dict:
    return LogEntry.objects.filter(event=event, kind=kind).order_by("-seq").first().data


def test_a_new_registration_and_zone_keep_their_shapes_as_geojson_objects(
        alices_event, alice, carol):
    services.transition_event(alices_event, to="under_review", actor=carol)
    services.transition_event(alices_event, to="changes_requested", actor=carol, note="Move")
    services.update_event(alices_event, actor=alice, assembly_point=Point(-82.99, 39.97))
    make_zone(alices_event, carol)

    created = data_of(alices_event, "event.created")
    changed = data_of(alices_event, "event.changed")
    zone = data_of(alices_event, "zone.created")

    assert created["assembly_point"]["type"] == "Point"
    assert changed["assembly_point"] == {"type": "Point", "coordinates": [-82.99, 39.97]}
    assert zone["geometry"]["type"] == "Polygon"
    assert isinstance(zone["geometry"]["coordinates"][0][0], list)
    assert verify_event_log(alices_event.pk).valid


def test_an_entry_that_keeps_its_shape_as_text_still_reads_in_the_timeline_and_exports(
        concluded_event, carol):
    with transaction.atomic():
        # As event.changed was written before shapes were kept as objects.
        old = log.record(concluded_event, actor=carol, kind="event.changed",
                         data={"assembly_point": OLD_STYLE_POINT})

    assert LogEntry.objects.get(pk=old.pk).data == {"assembly_point": OLD_STYLE_POINT}
    assert verify_event_log(concluded_event.pk).valid

    (row,) = timeline_rows(concluded_event, [LogEntry.objects.get(pk=old.pk)])
    assert row.description == "Changed the registration: assembly_point."
    assert row.details == [("assembly_point", "(a shape on the map)")]

    jsonl = [json.loads(line) for line in
             exports.export_lines(concluded_event.pk, "jsonl")]
    assert jsonl[-1]["data"] == {"assembly_point": OLD_STYLE_POINT}  # as hashed, unchanged
    csv_text = "".join(exports.export_lines(concluded_event.pk, "csv"))
    assert json.dumps(OLD_STYLE_POINT)[1:-1].replace('"', '""') in csv_text

    report = report_of(concluded_event, reader=carol)
    assert report.log_valid and report.timeline[-1].seq == old.seq
    assert "Changed the registration: assembly_point." in pdf_text(render_report(report))


def test_a_shape_reads_the_same_from_an_old_entry_and_a_new_one():
    as_object = {"type": "Point", "coordinates": [-82.9988, 39.9612]}

    assert geometry_from_log(OLD_STYLE_POINT) == as_object
    assert geometry_from_log(as_object) == as_object
    assert geometry_from_log(None) is None
    assert geometry_from_log("not a shape") is None
