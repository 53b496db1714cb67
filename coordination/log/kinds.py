"""Every kind of after-action log entry, in one place, with what each one says in words.

Whoever writes an entry names its kind here (``record(event, kind=LogKind.ZONE_AGREED, …)``),
and whoever reads the log takes its words from here: the label (the privacy page counts
entries by it), the timeline's sentence, the timeline's filter group, and whether it may
become a notice on the public page.

The log is the bottom layer: this module imports no app. A sentence names the data keys that
fill its placeholders and *how* each value is said (``Say``: a state, a role, a zone …); the
review, which reads every app, knows how to say each (``coordination/review.py``).

A kind's value is stored in every entry and covered by its hash: it never changes. A new kind
is added here with all its words (``tests/coordination/test_log_kinds.py`` checks).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class LogGroup(models.TextChoices):
    """The groups of kinds the timeline's filter offers."""

    REGISTRATION = "registration", _("Registration and state")
    ZONES = "zones", _("Zones")
    MESSAGES = "messages", _("Messages")
    ACKNOWLEDGEMENTS = "acknowledgements", _("Acknowledgements")
    INCIDENTS = "incidents", _("Incidents")
    KEY_MOMENTS = "key_moments", _("Key moments")


class LogKind(models.TextChoices):
    """What an entry records: its stored value and its label, in the users' words."""

    EVENT_CREATED = "event.created", _("Demonstration registered")
    EVENT_CHANGED = "event.changed", _("Registration changed")
    EVENT_TRANSITION = "event.transition", _("Change of state")
    EVENT_AMENDED = "event.amended", _("Agreed registration amended")
    EVENT_MEMBER_ADDED = "event.member_added", _("Member added")
    EVENT_MEMBER_REMOVED = "event.member_removed", _("Member removed")
    ZONE_CREATED = "zone.created", _("Zone proposed")
    ZONE_CHANGED = "zone.changed", _("Zone changed")
    ZONE_AGREED = "zone.agreed", _("Zone agreed")
    ZONE_WITHDRAWN = "zone.withdrawn", _("Zone withdrawn")
    MESSAGE_SENT = "message.sent", _("Message")
    MESSAGE_ACKNOWLEDGED = "message.acknowledged", _("Acknowledgement")
    MESSAGE_KEY_MOMENT_MARKED = "message.key_moment_marked", _("Key moment marked")
    MESSAGE_KEY_MOMENT_UNMARKED = "message.key_moment_unmarked", _("Key-moment mark taken off")
    INCIDENT_REPORTED = "incident.reported", _("Incident reported")

    @property
    def words(self) -> KindWords:
        """Everything else said about this kind (``WORDS``)."""
        return WORDS[self]

    @property
    def group(self) -> LogGroup:
        return self.words.group


class Say(enum.StrEnum):
    """How a value of an entry's data is said in a sentence (the review knows each way)."""

    AS_WRITTEN = "as_written"
    STATE = "state"  # a demonstration's state, by its label
    ROLE = "role"  # a party: organiser, police, city
    ZONE = "zone"  # a zone's id, with its label if it has one
    CHANNEL = "channel"  # a channel's name, by its label
    MESSAGE_KIND = "message_kind"  # message, instruction, alert …
    MESSAGE = "message"  # a message by its number in its channel (its id without one)
    SEVERITY = "severity"  # an incident's severity, by its label
    DURATION = "duration"  # seconds, as "4.2 s", "3 min 5 s", "2 h 10 min"
    FIELD_NAMES = "field_names"  # the keys of the whole data, sorted (key "")
    INSTRUCTION = "instruction"  # a standard instruction, by its label
    INSTRUCTION_TEXTS = "instruction_texts"  # each language's text of a standard instruction


@dataclass(frozen=True)
class Slot:
    """A placeholder of a sentence: the value under ``key`` of the entry's data (the whole
    data for ``""``), said as ``say``."""

    key: str
    say: Say = Say.AS_WRITTEN


@dataclass(frozen=True)
class Sentence:
    """How the timeline describes an entry.

    ``text`` has named placeholders, each filled from ``slots``; ``shown`` is a value shown as
    written under it (a message body, a note). ``when`` = (key, expected): the sentence is
    for entries whose data has ``expected`` under ``key`` — ``True`` for any true value, a
    type for a value of that type. Keys the sentence says (its slots, ``shown``, ``when``) and
    ``hides`` are left out of the entry's other details.
    """

    text: Promise
    slots: Mapping[str, Slot] = field(default_factory=dict)
    shown: Slot | None = None
    when: tuple[str, Any] | None = None
    hides: frozenset[str] = frozenset()

    def fits(self, data: Mapping[str, Any]) -> bool:
        """Is this the sentence for an entry with ``data``?"""
        if self.when is None:
            return True
        key, expected = self.when
        value = data.get(key)
        if expected is True:
            return bool(value)
        if isinstance(expected, type):
            return isinstance(value, expected)
        return value == expected

    @property
    def said(self) -> frozenset[str]:
        """The data keys not repeated under the entry's details."""
        keys = {slot.key for slot in self.slots.values()} | set(self.hides)
        if self.shown is not None:
            keys.add(self.shown.key)
        if self.when is not None:
            keys.add(self.when[0])
        return frozenset(keys - {""})


@dataclass(frozen=True)
class KindWords:
    """What the readers of the log say about one kind.

    ``timeline``: its sentences, the first that ``fits`` an entry describes it.
    ``public_notice``: it may become a notice on the public page (which entries do, and
    their wording, is decided in ``coordination/public.py``, docs/public.md).
    """

    group: LogGroup
    timeline: tuple[Sentence, ...]
    public_notice: bool = False

    def sentence_for(self, data: Mapping[str, Any]) -> Sentence:
        """The sentence describing an entry of this kind with ``data``."""
        return next(s for s in self.timeline if s.fits(data))


_MESSAGE_IDS = frozenset({"message_id", "client_id", "reply_to"})

#: The words of every kind.
WORDS: dict[LogKind, KindWords] = {
    LogKind.EVENT_CREATED: KindWords(LogGroup.REGISTRATION, (
        Sentence(_("Registered the demonstration %(reference)s."),
                 {"reference": Slot("reference")}),
    )),
    LogKind.EVENT_CHANGED: KindWords(LogGroup.REGISTRATION, (
        # The new values stay under the details.
        Sentence(_("Changed the registration: %(fields)s."),
                 {"fields": Slot("", Say.FIELD_NAMES)}),
    ), public_notice=True),
    LogKind.EVENT_TRANSITION: KindWords(LogGroup.REGISTRATION, (
        Sentence(_("Moved the demonstration from “%(from)s” to “%(to)s”."),
                 {"from": Slot("from", Say.STATE), "to": Slot("to", Say.STATE)},
                 shown=Slot("note")),
    ), public_notice=True),
    LogKind.EVENT_AMENDED: KindWords(LogGroup.REGISTRATION, (
        # Each field's old and new value stay under the details.
        Sentence(_("Amended the agreed registration, which goes back to the city for "
                   "agreement: %(fields)s."),
                 {"fields": Slot("", Say.FIELD_NAMES)}),
    ), public_notice=True),
    LogKind.EVENT_MEMBER_ADDED: KindWords(LogGroup.REGISTRATION, (
        Sentence(_("Added %(username)s (%(role)s) as a member."),
                 {"username": Slot("username"), "role": Slot("role", Say.ROLE)}),
    )),
    LogKind.EVENT_MEMBER_REMOVED: KindWords(LogGroup.REGISTRATION, (
        Sentence(_("Removed %(username)s (%(role)s) from the members."),
                 {"username": Slot("username"), "role": Slot("role", Say.ROLE)}),
    )),
    LogKind.ZONE_CREATED: KindWords(LogGroup.ZONES, (
        Sentence(_("Proposed %(zone)s, version %(version)s."),
                 {"zone": Slot("zone", Say.ZONE), "version": Slot("version")}),
    )),
    LogKind.ZONE_CHANGED: KindWords(LogGroup.ZONES, (
        Sentence(_("Changed %(zone)s: version %(version)s, to be agreed again."),
                 {"zone": Slot("zone", Say.ZONE), "version": Slot("version")},
                 when=("new_version", True)),
        Sentence(_("Changed %(zone)s (version %(version)s stays)."),
                 {"zone": Slot("zone", Say.ZONE), "version": Slot("version")},
                 hides=frozenset({"new_version"})),
    ), public_notice=True),
    LogKind.ZONE_AGREED: KindWords(LogGroup.ZONES, (
        # "agreed": zones.models.Zone.Status.AGREED, the last of the three parties agreed.
        Sentence(_("%(party)s agreed version %(version)s of %(zone)s: now agreed by all."),
                 {"party": Slot("party", Say.ROLE), "version": Slot("version"),
                  "zone": Slot("zone", Say.ZONE)},
                 when=("status", "agreed")),
        Sentence(_("%(party)s agreed version %(version)s of %(zone)s."),
                 {"party": Slot("party", Say.ROLE), "version": Slot("version"),
                  "zone": Slot("zone", Say.ZONE)},
                 hides=frozenset({"status"})),
    ), public_notice=True),
    LogKind.ZONE_WITHDRAWN: KindWords(LogGroup.ZONES, (
        Sentence(_("Withdrew %(zone)s."), {"zone": Slot("zone", Say.ZONE)},
                 hides=frozenset({"version"})),
    ), public_notice=True),
    LogKind.MESSAGE_SENT: KindWords(LogGroup.MESSAGES, (
        # Which instruction, and every text its readers were shown (each read their own).
        Sentence(_("Standard instruction “%(label)s” in the “%(channel)s” channel (#%(seq)s), "
                   "each reader shown their language:"),
                 {"label": Slot("standard_instruction", Say.INSTRUCTION),
                  "channel": Slot("channel", Say.CHANNEL), "seq": Slot("seq")},
                 shown=Slot("standard_instruction", Say.INSTRUCTION_TEXTS),
                 when=("standard_instruction", dict),
                 hides=frozenset({"kind", "body"}) | _MESSAGE_IDS),
        Sentence(_("%(kind)s in the “%(channel)s” channel (#%(seq)s):"),
                 {"kind": Slot("kind", Say.MESSAGE_KIND),
                  "channel": Slot("channel", Say.CHANNEL), "seq": Slot("seq")},
                 shown=Slot("body"), hides=_MESSAGE_IDS),
    )),
    LogKind.MESSAGE_ACKNOWLEDGED: KindWords(LogGroup.ACKNOWLEDGEMENTS, (
        Sentence(_("Acknowledged message #%(seq)s of the “%(channel)s” channel after "
                   "%(duration)s."),
                 {"seq": Slot("seq"), "channel": Slot("channel", Say.CHANNEL),
                  "duration": Slot("seconds_to_acknowledge", Say.DURATION)},
                 hides=frozenset({"message_id"})),
    )),
    LogKind.MESSAGE_KEY_MOMENT_MARKED: KindWords(LogGroup.KEY_MOMENTS, (
        Sentence(_("Marked message %(message)s as a key moment."),
                 {"message": Slot("", Say.MESSAGE)}, shown=Slot("note"),
                 hides=frozenset({"message_id", "seq", "channel"})),
    )),
    LogKind.MESSAGE_KEY_MOMENT_UNMARKED: KindWords(LogGroup.KEY_MOMENTS, (
        # The note it had stays under the details.
        Sentence(_("Took the key-moment mark off message %(message)s."),
                 {"message": Slot("", Say.MESSAGE)},
                 hides=frozenset({"message_id", "seq", "channel"})),
    )),
    LogKind.INCIDENT_REPORTED: KindWords(LogGroup.INCIDENTS, (
        # When it happened is shown beside the time it was recorded; the place on the map.
        Sentence(_("Reported an incident (severity: %(severity)s):"),
                 {"severity": Slot("severity", Say.SEVERITY)}, shown=Slot("description"),
                 hides=frozenset({"happened_at", "incident_id", "location"})),
    )),
}


def label_of(kind: str) -> str:
    """What an entry of ``kind`` records, in the reader's language (the kind itself for a
    kind Parley does not write)."""
    return str(LogKind(kind).label) if kind in LogKind.values else kind


def group_of(kind: str) -> str:
    """The timeline's filter group of ``kind`` ("other" for a kind Parley does not write)."""
    return LogKind(kind).group if kind in LogKind.values else "other"


def kinds_in(group: str) -> list[LogKind]:
    """The kinds of the timeline's filter group ``group``."""
    return [kind for kind in LogKind if kind.group == group]


def public_notice_kinds() -> list[LogKind]:
    """The kinds of entry a public notice may come from."""
    return [kind for kind in LogKind if kind.words.public_notice]
