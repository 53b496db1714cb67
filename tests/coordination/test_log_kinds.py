"""Every kind of log entry Parley writes is named in one registry (coordination/log/kinds.py)
with all its words: the label the privacy page counts it by, the timeline's sentence and the
filter group. A new kind cannot be written without them, and old entries read as before.

alice organises, bob is police, carol is the city; dave reviews.
"""

from __future__ import annotations

import ast
import re
import uuid
from pathlib import Path

import pytest
from django.utils import translation

from coordination.log.kinds import WORDS, LogGroup, LogKind, Sentence, group_of, label_of
from coordination.models import LogEntry
from events import services as events
from messaging import services as messaging
from messaging.key_moments import mark_key_moment, unmark_key_moment
from messaging.models import StandardInstruction
from review.timeline import timeline_entries, timeline_rows
from tests.support.factories import event_fields
from tests.support.review import live_event, say
from tests.support.zones import make_zone
from zones import services as zones
from zones.incidents import report_incident

ROOT = Path(__file__).resolve().parents[2]
APPS = ("coordination", "events", "zones", "messaging", "desk", "review", "public", "privacy",
        "bench")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def sentences() -> list[tuple[LogKind, Sentence]]:
    return [(kind, sentence) for kind in LogKind for sentence in kind.words.timeline]


# --- the registry itself ---------------------------------------------------------------------

def test_every_kind_has_a_label_a_filter_group_and_a_sentence_for_any_entry():
    assert set(WORDS) == set(LogKind)
    for kind in LogKind:
        assert str(kind.label) and str(kind.label) != kind.value, kind
        assert kind.group in LogGroup.values, kind
        assert kind.words.timeline, kind
        # The last sentence fits any entry: no entry of a known kind goes undescribed.
        assert kind.words.timeline[-1].when is None, kind


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_every_sentence_fills_exactly_its_placeholders_in_every_language(language):
    for kind, sentence in sentences():
        with translation.override(language):
            text = str(sentence.text)
        assert set(PLACEHOLDER.findall(text)) == set(sentence.slots), (kind, language, text)
        assert "%(" not in text % dict.fromkeys(sentence.slots, "x")


def test_the_registry_imports_no_app_as_the_log_it_describes():
    tree = ast.parse((ROOT / "coordination" / "log" / "kinds.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
    assert {name.split(".")[0] for name in imported} <= {"__future__", "collections", "dataclasses",
                                                          "django", "enum", "typing"}


def test_the_privacy_pages_label_and_the_filter_group_of_a_kind_parley_does_not_write():
    assert label_of("event.created") == "Demonstration registered"
    assert label_of("event.reminder") == "event.reminder"
    assert group_of("zone.agreed") == LogGroup.ZONES
    assert group_of("event.reminder") == "other"


def test_stored_kinds_stay_the_strings_old_entries_hold():
    # The hash of every entry covers its kind: these values can never change.
    assert {kind.value for kind in LogKind} == {
        "event.created", "event.changed", "event.transition", "event.amended",
        "event.member_added",
        "event.member_removed", "zone.created", "zone.changed", "zone.agreed",
        "zone.withdrawn", "message.sent", "message.acknowledged",
        "message.key_moment_marked", "message.key_moment_unmarked", "incident.reported",
    }


def test_no_code_writes_or_looks_up_a_kind_by_a_bare_string():
    bare = re.compile(r'["\'](?:event|zone|message|incident)\.[a-z_]+["\']')
    found = []
    for app in APPS:
        for source in (ROOT / app).rglob("*.py"):
            if source == ROOT / "coordination" / "log" / "kinds.py":
                continue
            for number, line in enumerate(source.read_text().splitlines(), start=1):
                # Frames and model fields that merely look alike ("zone.event_id") aside.
                if bare.search(line) and "kind" in line and "source=" not in line:
                    found.append(f"{source.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


# --- a whole demonstration -------------------------------------------------------------------

@pytest.fixture
def full_story(db, alice, bob, carol):
    """Alice's demonstration through every action that leaves a mark in its log: registered
    and edited, reviewed, zones proposed, reshaped, renamed, agreed and withdrawn, live with
    messages, a standard instruction, an acknowledgement, an incident, a key moment marked
    and taken off, then concluded."""
    event = events.register_event(organiser=alice, **event_fields())
    events.update_event(event, actor=alice, title="March for the river, again")
    events.transition_event(event, to="submitted", actor=alice)
    events.add_member(event, username="bob", actor=carol)
    events.add_member(event, username="carol", actor=carol)
    event, zone = live_event(event, alice=alice, bob=bob, carol=carol)
    zones.change_zone(zone, actor=carol, label="Steps of the old City Hall")
    spare = make_zone(event, bob, label="Overflow")
    zones.withdraw_zone(spare, actor=bob)
    gathering = say(event, alice, "We are gathering at the steps.")
    instruction = say(event, carol, "Please keep the north lane clear.", kind="instruction")
    messaging.acknowledge_message(instruction, user=alice)
    assembly = StandardInstruction.objects.create(
        label="Assembly area", texts={"en": "Please move to the assembly area.",
                                      "fr": "Veuillez rejoindre la zone de rassemblement."})
    messaging.send_message(event=event, sender=bob, channel="all", kind="instruction",
                           standard_instruction=assembly.pk, client_id=uuid.uuid4())
    report_incident(event=event, reporter=bob, location=event.assembly_point,
                    happened_at=instruction.sent_at, severity="low",
                    description="A banner pole fell over; nobody hurt.")
    mark_key_moment(message=gathering, user=carol, note="Where to meet.")
    unmark_key_moment(message=gathering, user=carol)
    events.transition_event(event, to="concluded", actor=carol, note="Dispersed peacefully.")
    return event


def test_a_whole_demonstration_writes_only_kinds_the_registry_has_words_for(full_story):
    written = set(LogEntry.objects.filter(event=full_story).values_list("kind", flat=True))

    assert written <= set(LogKind.values), written - set(LogKind.values)
    # The story reaches every kind but the removal of a member and the amendment of an agreed
    # registration (its own story: tests/events/test_amendments.py).
    assert set(LogKind.values) - written == {LogKind.EVENT_MEMBER_REMOVED,
                                             LogKind.EVENT_AMENDED}


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_the_timeline_describes_every_entry_of_it_in_the_readers_words(full_story, language):
    with translation.override(language):
        rows = timeline_rows(full_story, timeline_entries(full_story))
        generic = str(translation.gettext("Recorded “%(kind)s”.")).split("“")[0]

    assert len(rows) == LogEntry.objects.filter(event=full_story).count()
    for row in rows:
        assert row.description and not row.description.startswith(generic), row
        assert "%(" not in row.description and "None" not in row.description, row
        assert row.group == LogKind(row.kind).group, row


def test_the_timeline_says_each_kind_as_it_always_has(full_story):
    rows = timeline_rows(full_story, timeline_entries(full_story))
    said = {(row.kind, row.description) for row in rows}
    zone, spare = full_story.zones.order_by("pk")

    assert ("event.created", f"Registered the demonstration {full_story.reference}.") in said
    assert ("event.changed", "Changed the registration: title.") in said
    assert ("event.transition", "Moved the demonstration from “Live” to “Concluded”.") in said
    assert ("event.member_added", "Added bob (Police liaison officer) as a member.") in said
    assert ("zone.changed", f"Changed zone {zone.pk} “Steps of the old City Hall” "
                            "(version 2 stays).") in said
    assert ("zone.changed", f"Changed zone {zone.pk} “Steps of the old City Hall”: version 2, "
                            "to be agreed again.") in said
    assert ("zone.agreed", f"City official agreed version 2 of zone {zone.pk} “Steps of the old "
                           "City Hall”: now agreed by all.") in said
    assert ("zone.withdrawn", f"Withdrew zone {spare.pk} “Overflow”.") in said
    assert ("message.sent", "Standard instruction “Assembly area” in the “Everyone” channel "
                            "(#3), each reader shown their language:") in said
    assert ("message.key_moment_unmarked", "Took the key-moment mark off message #1.") in said
    (instruction,) = [row for row in rows if row.kind == "message.sent" and "Assembly" in
                      row.description]
    assert instruction.text == ("en: Please move to the assembly area. — "
                                "fr: Veuillez rejoindre la zone de rassemblement.")
    (concluded,) = [row for row in rows if "Concluded" in row.description]
    assert concluded.text == "Dispersed peacefully."
    assert "note" not in dict(concluded.details)
