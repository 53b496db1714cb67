"""The after-action report (PDF) of a concluded demonstration: what carol (city) and dave
(reviewer) print afterwards.

alice organised the demonstration, bob (police) and carol (city) ran it with her.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

from django.utils import translation
from pypdf import PdfReader

from coordination.moments import format_date
from events import services
from review.report import after_action_pdf, render_report
from review.report_data import report_of
from tests.support.accounts import log_in
from tests.support.pdf import pdf_text
from tests.support.review import CONTACT_EMAIL, CONTACT_NAME, CONTACT_PHONE


def test_carols_report_has_pages_the_reference_and_the_summary_figures(concluded_event, carol):
    data = after_action_pdf(concluded_event, reader=carol)
    assert len(PdfReader(io.BytesIO(data)).pages) >= 2
    text = pdf_text(data)
    assert f"After-action report: {concluded_event.reference}" in text
    assert concluded_event.title in text
    # Messages by party: alice sent 2 as organiser, bob 1 as police, carol 2 as city.
    assert "Organiser 2" in text
    assert "Police liaison officer 1" in text
    assert "City official 2" in text
    # The instruction: alice acknowledged after 42 s; bob never did.
    assert "Alice Martin (Organiser): 42.0 s" in text
    assert "Bob Officer" in text.split("Never acknowledged", 1)[1]
    assert "Median time to acknowledge 42.0 s" in text
    assert "Longest time to acknowledge 42.0 s" in text
    assert "Bottle thrown near the fountain" in text
    assert "Start of the march" in text
    assert "The final agreed map" in text and "Steps of City Hall" in text


def test_the_report_gives_the_duration_from_live_to_concluded(concluded_event, carol):
    report = report_of(concluded_event, reader=carol)
    assert report.went_live_at is not None and report.concluded_at is not None
    assert report.duration == report.concluded_at - report.went_live_at
    assert "Went live" in pdf_text(render_report(report))


def test_the_timeline_holds_every_log_entry_and_the_footer_the_last_hash(concluded_event,
                                                                        carol):
    report = report_of(concluded_event, reader=carol)
    entries = concluded_event.log_entries.order_by("seq")
    assert [row.seq for row in report.timeline] == list(entries.values_list("seq", flat=True))
    text = pdf_text(render_report(report))
    last = entries.last()
    assert report.log_valid and report.log_last_hash == last.hash
    assert f"log verified ({entries.count()} entries), last hash {last.hash}" in text
    assert "Moved the demonstration from “Live” to “Concluded”." in text
    assert "Please keep the north door clear." in text


def test_the_timeline_gives_when_an_incident_happened_beside_when_it_was_recorded(
        concluded_event, carol):
    report = report_of(concluded_event, reader=carol)
    (row,) = [row for row in report.timeline if row.kind == "incident.reported"]
    assert row.happened_at is not None and row.at - row.happened_at >= dt.timedelta(minutes=9)
    assert "Bottle thrown near the fountain" in row.summary
    assert "(happened " in pdf_text(render_report(report))


def test_city_staff_see_the_organisers_contact_in_the_report(concluded_event, carol):
    text = pdf_text(after_action_pdf(concluded_event, reader=carol))
    assert CONTACT_NAME in text and CONTACT_PHONE in text and CONTACT_EMAIL in text


def test_a_reviewer_never_sees_the_organisers_contact_in_the_report(concluded_event, dave):
    text = pdf_text(after_action_pdf(concluded_event, reader=dave))
    assert concluded_event.reference in text
    for value in (CONTACT_NAME, CONTACT_PHONE, CONTACT_EMAIL):
        assert value not in text
    assert "Shown only to the demonstration's organisers" in text


def test_the_final_map_shows_the_zones_agreed_when_the_event_was_concluded(concluded_event,
                                                                           carol):
    report = report_of(concluded_event, reader=carol)
    assert [zone.label for zone in report.final_zones] == ["Steps of City Hall"]
    assert report.zone_versions == 1 and report.zone_agreements == 3


def test_dates_follow_the_readers_language(concluded_event, carol):
    with translation.override("fr"):
        text = pdf_text(after_action_pdf(concluded_event, reader=carol))
        french = format_date(concluded_event.starts_at)
    assert french in text
    assert french != format_date(concluded_event.starts_at)  # English outside the block


def test_a_reviewer_downloads_the_report_through_the_export_endpoint(client, concluded_event,
                                                                    dave):
    log_in(client, dave)
    response = client.get(f"/api/v1/events/{concluded_event.pk}/log/export?format=pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert f"After-action report: {concluded_event.reference}" in text
    assert "Alice Martin (Organiser): 42.0 s" in text
    assert CONTACT_PHONE not in text


def test_a_log_that_does_not_verify_says_so_on_every_page(concluded_event, carol):
    report = dataclasses.replace(report_of(concluded_event, reader=carol), log_valid=False,
                                 log_first_bad_seq=7)
    reader = PdfReader(io.BytesIO(render_report(report)))
    for page in reader.pages:
        assert "LOG DOES NOT VERIFY: first bad entry 7" in " ".join(page.extract_text().split())


def test_an_event_cancelled_before_it_went_live_still_gets_a_report(alices_event, carol):
    event = services.transition_event(alices_event, to="cancelled", actor=carol,
                                      note="The square is closed for works.")
    report = report_of(event, reader=carol)
    assert report.went_live_at is None and report.duration is None
    text = pdf_text(render_report(report))
    assert event.reference in text
    assert "No zone was drawn." in text
    assert "No instruction or alert was sent." in text
    assert "The square is closed for works." in text


def test_markup_in_a_title_or_message_prints_as_written(concluded_event, carol):
    report = dataclasses.replace(report_of(concluded_event, reader=carol),
                                 title="Less <than> & more <b>bold</b>")
    assert "Less <than> & more <b>bold</b>" in pdf_text(render_report(report))
