"""Receipts of the record: the log's head (``seq``, ``hash``, ``at``) handed to the parties
at every state change, in the e-mails to organisers and, once concluded, on the public page
and feed — so that a log rewritten behind Parley's back, every hash recomputed and the plain
chain valid again, is still caught by whoever kept a receipt."""

from __future__ import annotations

import io

import feedparser
import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from coordination.models import LogEntry
from coordination.moments import format_moment
from events import services
from tests.support.accounts import log_in
from tests.support.factories import make_user
from tests.support.logs import TABLE, cut_log, last_entry, rewrite_log, tamper
from tests.support.public import agreed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_cache")]

FORGED_NOTE = "Agreed on condition that the march avoids Main Street."


@pytest.fixture
def olga(db):
    """Alice's co-organiser."""
    return make_user("olga", "organiser", name="Olga Second")


def head_url(event) -> str:
    return f"/api/v1/events/{event.pk}/log/head/"


def transition_entry(event, to: str) -> LogEntry:
    return LogEntry.objects.get(event=event, kind="event.transition", data__to=to)


def receipt_text(entry: LogEntry) -> str:
    return f"{entry.seq}:{entry.hash}"


def verify_log(*args: str) -> tuple[int, str]:
    """``manage.py verify_log ARGS``: (exit status, what it printed)."""
    out = io.StringIO()
    try:
        call_command("verify_log", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def page_for(user) -> Client:
    client = Client()
    log_in(client, user)
    return client


def rewrite_the_agreement(event) -> int:
    """Rewrite the city's note on the agreement, every hash after it recomputed; its seq."""
    agreement = transition_entry(event, "agreed")
    rewrite_log(event, seq=agreement.seq, data={**agreement.data, "note": FORGED_NOTE})
    return agreement.seq


# --- GET /api/v1/events/{id}/log/head/ ----------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "olga", "bob", "carol", "dave"])
def test_the_events_parties_and_reviewers_read_the_log_head(request, story, who, olga, dave,
                                                            api):
    services.add_member(story.event, username="olga", actor=request.getfixturevalue("alice"))
    user = request.getfixturevalue(who)
    head = last_entry(story.event)

    response = api(user).get(head_url(story.event))

    assert response.status_code == 200, response.content
    assert response.json() == {"seq": head.seq, "hash": head.hash,
                               "at": head.at.isoformat().replace("+00:00", "Z")}


@pytest.mark.parametrize(("who", "status"), [("mallory", 404), ("erin", 403)])
def test_other_organisers_and_police_who_are_not_members_get_no_head(request, story, who,
                                                                     status, erin, mallory,
                                                                     api):
    response = api(request.getfixturevalue(who)).get(head_url(story.event))

    assert response.status_code == status
    assert "hash" not in response.json()


def test_anonymous_callers_must_authenticate_for_the_head(story, api):
    assert api().get(head_url(story.event)).status_code == 401


def test_a_reviewer_sees_no_head_before_the_event_is_concluded(alices_event, dave, api):
    assert api(dave).get(head_url(alices_event)).status_code == 404


def test_the_head_of_a_missing_event_is_404(carol, api):
    assert api(carol).get("/api/v1/events/999999/log/head/").status_code == 404


def test_the_head_moves_with_every_entry(alices_event, alice, carol, api):
    before = api(alice).get(head_url(alices_event)).json()

    services.transition_event(alices_event, to="under_review", actor=carol)

    after = api(alice).get(head_url(alices_event)).json()
    entry = transition_entry(alices_event, "under_review")
    assert after["seq"] == before["seq"] + 1 == entry.seq
    assert after["hash"] == entry.hash != before["hash"]


def test_the_head_is_in_the_api_schema(db):
    schema = Client().get("/api/v1/schema/?format=json").json()

    operation = schema["paths"]["/api/v1/events/{id}/log/head/"]["get"]
    assert set(operation["responses"]) >= {"200"}


# --- the rewrite that the chain alone cannot see -------------------------------------------


def test_a_rewritten_log_with_every_hash_recomputed_passes_the_plain_check_but_not_a_receipt(
        story, alice, carol, api):
    # Alice kept the receipt she was given when the demonstration was concluded.
    receipt = api(alice).get(head_url(story.event)).json()
    rewritten = rewrite_the_agreement(story.event)

    # The forgery is in the record, and the chain alone finds nothing wrong with it.
    assert transition_entry(story.event, "agreed").data["note"] == FORGED_NOTE
    assert api(carol).get(f"/api/v1/events/{story.event.pk}/log/verify").json()["valid"]
    assert verify_log(story.event.reference)[0] == 0

    status, output = verify_log(story.event.reference,
                                "--receipt", f"{receipt['seq']}:{receipt['hash']}")

    assert status == 1
    assert f"first bad seq {receipt['seq']}" in output
    assert rewritten <= receipt["seq"]


def test_receipts_from_every_state_change_narrow_down_where_the_log_was_rewritten(story):
    event = story.event
    receipts = {to: receipt_text(transition_entry(event, to))
                for to in ("submitted", "under_review", "agreed", "live", "concluded")}
    rewritten = rewrite_the_agreement(event)

    status, output = verify_log(event.reference,
                                *[arg for text in receipts.values()
                                  for arg in ("--receipt", text)])

    assert status == 1
    under_review = transition_entry(event, "under_review").seq
    agreed_seq = transition_entry(event, "agreed").seq
    assert rewritten == agreed_seq
    for to in ("submitted", "under_review"):
        assert f"receipt {receipts[to]}: holds" in output
    for to in ("agreed", "live", "concluded"):
        assert f"receipt {receipts[to]}: does NOT hold" in output
    # The first receipt that fails is the agreement's: the change lies after the last
    # receipt that holds and at or before it.
    assert f"first bad seq {agreed_seq}" in output
    assert f"changed after seq {under_review}, at or before seq {agreed_seq}" in output


def test_a_log_cut_short_passes_the_plain_check_but_its_receipt_names_the_first_missing_entry(
        story):
    receipt = receipt_text(last_entry(story.event))
    kept = transition_entry(story.event, "live").seq
    cut_log(story.event, keep=kept)

    assert verify_log(story.event.reference)[0] == 0
    status, output = verify_log(story.event.reference, "--receipt", receipt)

    assert status == 1
    assert f"first bad seq {kept + 1}" in output


def test_an_edit_that_breaks_the_chain_is_named_by_the_chain_with_a_receipt_too(story):
    receipt = receipt_text(last_entry(story.event))
    entry = LogEntry.objects.get(event=story.event, seq=3)
    tamper(f"UPDATE {TABLE} SET data = %s WHERE id = %s", ['{"forged": true}', entry.pk])

    status, output = verify_log(story.event.reference, "--receipt", receipt)

    assert status == 1
    assert "first bad seq 3" in output


def test_a_receipt_of_an_untouched_log_holds(story):
    receipt = receipt_text(transition_entry(story.event, "concluded"))

    status, output = verify_log(story.event.reference, "--receipt", receipt)

    assert status == 0, output
    assert f"receipt {receipt}: holds" in output


def test_a_receipt_also_holds_after_later_entries_were_added(story, carol):
    from messaging.key_moments import mark_key_moment

    receipt = receipt_text(transition_entry(story.event, "concluded"))
    mark_key_moment(message=story.instruction, user=carol, note="Kept the lane clear.")

    assert verify_log(story.event.reference, "--receipt", receipt)[0] == 0


def test_a_receipt_with_the_right_hash_under_another_seq_does_not_hold(story):
    entry = transition_entry(story.event, "agreed")

    status, output = verify_log(story.event.reference, "--receipt",
                                f"{entry.seq + 1}:{entry.hash}")

    assert status == 1
    assert f"first bad seq {entry.seq + 1}" in output


@pytest.mark.parametrize("text", ["12", "x:abc", "0:" + "0" * 64, "3:" + "g" * 64,
                                  "3:" + "a" * 63])
def test_a_malformed_receipt_is_refused_with_how_to_write_one(story, text):
    with pytest.raises(CommandError, match="SEQ:HASH"):
        call_command("verify_log", story.event.reference, "--receipt", text,
                     stdout=io.StringIO())


def test_a_receipt_needs_exactly_one_event(story, mallory):
    other = services.register_event(organiser=mallory, **_fields())
    receipt = receipt_text(last_entry(story.event))

    for references in ([], [story.event.reference, other.reference]):
        with pytest.raises(CommandError, match="one event"):
            call_command("verify_log", *references, "--receipt", receipt,
                         stdout=io.StringIO())


def _fields():
    from tests.support.factories import event_fields

    return event_fields(title="Other")


# --- the review page's receipt check -------------------------------------------------------


def check_on_review_page(event, reviewer, *receipts: str) -> str:
    response = page_for(reviewer).get(f"/events/{event.pk}/review/",
                                      {"receipts": "\n".join(receipts)})
    assert response.status_code == 200
    return response.content.decode()


def test_the_review_page_says_a_receipt_holds(story, dave):
    receipt = receipt_text(transition_entry(story.event, "concluded"))

    html = check_on_review_page(story.event, dave, receipt)

    assert 'id="receipt-check"' in html
    assert "receipt-holds" in html
    assert "receipt-broken" not in html


def test_the_review_page_catches_the_rewrite_the_plain_check_misses(story, dave):
    receipt = receipt_text(transition_entry(story.event, "concluded"))
    rewritten = rewrite_the_agreement(story.event)

    html = check_on_review_page(story.event, dave, receipt)

    assert "log-verified" in html  # the chain alone still verifies
    assert "receipt-broken" in html
    assert f"The record does NOT hold this receipt: it was changed at or before entry " \
           f"{transition_entry(story.event, 'concluded').seq}" in html
    assert rewritten < transition_entry(story.event, "concluded").seq


def test_the_review_page_explains_a_malformed_receipt(story, dave):
    html = check_on_review_page(story.event, dave, "not a receipt")

    assert "Write each receipt as SEQ:HASH" in html
    assert "Not a receipt: not a receipt" in html
    assert 'id="receipt-check"' not in html


# --- the event page --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob", "carol"])
def test_the_event_page_gives_a_receipt_at_every_state_change(request, story, who):
    html = page_for(request.getfixturevalue(who)).get(story.event.get_absolute_url()) \
        .content.decode()

    assert 'id="log-receipts"' in html
    for to in ("submitted", "under_review", "agreed", "live", "concluded"):
        assert receipt_text(transition_entry(story.event, to)) in html
    assert receipt_text(LogEntry.objects.get(event=story.event, seq=1)) in html
    assert receipt_text(last_entry(story.event)) in html


def test_police_who_are_not_members_see_the_page_but_no_receipts(story, erin):
    response = page_for(erin).get(story.event.get_absolute_url())

    assert response.status_code == 200
    assert 'id="log-receipts"' not in response.content.decode()
    assert last_entry(story.event).hash not in response.content.decode()


# --- the e-mail --------------------------------------------------------------------------------


def test_the_conclusion_email_to_organisers_carries_the_receipt(story):
    call_command("run_notifier", "--once")
    conclusion = transition_entry(story.event, "concluded")

    (email,) = [m for m in mail.outbox if m.to == ["alice@example.org"]
                and "Concluded" in m.subject]

    assert receipt_text(conclusion) in email.body
    assert format_moment(conclusion.at, seconds=True) in email.body


# --- the public page and feed ----------------------------------------------------------------


@pytest.fixture
def public_concluded(alice, bob, carol):
    """A public demonstration of Alice's, concluded; another still only agreed."""
    concluded = agreed(alice, carol, title="Save the library")
    services.transition_event(concluded, to="live", actor=carol)
    services.transition_event(concluded, to="concluded", actor=carol)
    coming = agreed(alice, carol, title="Coming up")
    return concluded, coming


def test_the_public_page_shows_the_receipt_of_a_concluded_public_demonstration(
        public_concluded):
    concluded, coming = public_concluded
    html = Client().get("/public/").content.decode()

    assert receipt_text(transition_entry(concluded, "concluded")) in html
    assert receipt_text(last_entry(coming)) not in html
    assert html.count('class="public-receipt"') == 1


def test_the_atom_feed_carries_the_receipt_with_the_conclusion_notice(public_concluded):
    concluded, coming = public_concluded
    feed = feedparser.parse(Client().get("/public/feed.atom").content)

    with_receipt = [entry for entry in feed.entries
                    if receipt_text(transition_entry(concluded, "concluded")) in entry.summary]
    assert len(with_receipt) == 1
    assert "Concluded" in with_receipt[0].title
    assert not any(last_entry(coming).hash in entry.summary for entry in feed.entries)
