"""The conversation of the review: carol (city) asks alice for changes with a note, alice
answers when she submits again, and both read the thread beside the registration."""

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from coordination.log.kinds import LogKind
from coordination.models import LogEntry
from events import services
from events.selectors import review_conversation
from tests.support.accounts import log_in

REQUEST = "End the route at the park gate, not inside the park."
ANSWER = "The route now ends at the north gate of the park."


def page_of(client, user, name: str, event) -> str:
    """The page ``events:<name>`` of ``event`` as ``user`` reads it."""
    return log_in(client, user).get(reverse(f"events:{name}", args=[event.pk])).content.decode()


@pytest.fixture
def sent_back(alices_event, carol):
    """Alice's demonstration, sent back by carol with what needs to change."""
    services.transition_event(alices_event, to="under_review", actor=carol)
    return services.transition_event(alices_event, to="changes_requested", actor=carol,
                                     note=REQUEST)


def test_the_conversation_is_the_notes_of_the_changes_of_state_in_order(sent_back, alice):
    services.transition_event(sent_back, to="submitted", actor=alice, note=ANSWER)

    conversation = review_conversation(sent_back)

    assert [(e["name"], e["role"], e["from"], e["to"], e["note"]) for e in conversation] == [
        ("Carol City", "city", "under_review", "changes_requested", REQUEST),
        ("Alice Martin", "organiser", "changes_requested", "submitted", ANSWER),
    ]
    assert conversation[0]["to_label"] == "Changes requested"
    assert conversation[0]["role_label"] == "City official"


def test_the_organisers_reply_is_kept_in_the_log_with_their_submission(client, sent_back, alice):
    client = log_in(client, alice)
    client.post(reverse("events:transition", args=[sent_back.pk]),
                {"to": "submitted", "note": ANSWER})

    entry = LogEntry.objects.filter(event=sent_back, kind=LogKind.EVENT_TRANSITION).last()
    assert entry.data == {"from": "changes_requested", "to": "submitted", "note": ANSWER}
    assert entry.actor["name"] == "Alice Martin"


def test_organiser_sees_the_citys_request_on_the_event_page_and_is_asked_what_they_changed(
        client, sent_back, alice):
    page = page_of(client, alice, "detail", sent_back)

    assert 'id="review-conversation"' in page
    assert "Conversation with the city" in page
    assert REQUEST in page
    assert "Carol City (City official) moved the demonstration from “Under review” to " \
           "“Changes requested”." in page
    assert 'id="note-submitted"' in page and "What did you change? (optional)" in page


def test_organiser_reads_what_the_city_asked_before_being_asked_what_they_changed(
        client, sent_back, alice):
    page = page_of(client, alice, "detail", sent_back)

    assert page.index(REQUEST) < page.index('id="workflow-heading"')
    assert page.index('id="review-conversation"') < page.index("What did you change?")


def test_organiser_sees_the_citys_request_while_editing(client, sent_back, alice):
    page = page_of(client, alice, "edit", sent_back)

    assert 'id="review-conversation"' in page
    assert REQUEST in page


def test_the_city_and_the_events_police_read_the_organisers_answer(
        client, sent_back, alice, bob, carol):
    services.transition_event(sent_back, to="submitted", actor=alice, note=ANSWER)

    for person in (carol, bob):
        page = page_of(client, person, "detail", sent_back)
        assert "Conversation of the review" in page
        assert REQUEST in page and ANSWER in page


def test_police_who_are_not_members_and_other_organisers_do_not_read_it(
        client, sent_back, erin, mallory):
    assert not erin.has_perm("events.view_review_conversation", sent_back)
    page = page_of(client, erin, "detail", sent_back)
    assert REQUEST not in page
    assert not mallory.has_perm("events.view_review_conversation", sent_back)
    response = log_in(client, mallory).get(reverse("events:detail", args=[sent_back.pk]))
    assert response.status_code == 404


def test_a_note_the_city_kept_between_officials_does_not_reach_the_organisers(
        client, alices_event, alice, carol):
    services.transition_event(alices_event, to="under_review", actor=carol,
                              note="Internal: check the park's booking first.")

    assert review_conversation(alices_event, viewer=alice) == []
    assert len(review_conversation(alices_event, viewer=carol)) == 1
    page = page_of(client, alice, "detail", alices_event)
    assert "park's booking" not in page and "review-conversation" not in page


def test_an_official_who_is_not_a_member_is_shown_to_organisers_by_party_only(
        client, alices_event, alice, frank):
    services.transition_event(alices_event, to="under_review", actor=frank)
    services.transition_event(alices_event, to="changes_requested", actor=frank, note=REQUEST)

    (entry,) = review_conversation(alices_event, viewer=alice)
    assert entry["name"] is None
    page = page_of(client, alice, "detail", alices_event)
    assert "Frank" not in page
    assert "The city moved the demonstration from “Under review” to “Changes requested”." \
        in page


def test_the_email_of_the_request_carries_the_citys_note(sent_back):
    call_command("run_notifier", "--once")

    (email,) = [m for m in mail.outbox if "Changes requested" in m.subject]
    assert email.to == ["alice@example.org"]
    assert "What needs to change:" in email.body
    assert REQUEST in email.body
    assert "When you submit it again, you can tell the city what you changed" in email.body


def test_co_organisers_are_emailed_the_answer_sent_with_the_new_submission(
        sent_back, alice, mallory):
    services.add_member(sent_back, username="mallory", actor=alice)
    call_command("run_notifier", "--once")
    mail.outbox.clear()

    services.transition_event(sent_back, to="submitted", actor=alice, note=ANSWER)
    call_command("run_notifier", "--once")

    (email,) = mail.outbox
    assert email.to == ["mallory@example.org"]
    assert f"What was changed:\n{ANSWER}" in email.body


def test_the_email_of_a_second_request_carries_the_whole_conversation(sent_back, alice, carol):
    services.transition_event(sent_back, to="submitted", actor=alice, note=ANSWER)
    services.transition_event(sent_back, to="under_review", actor=carol)
    services.transition_event(sent_back, to="changes_requested", actor=carol,
                              note="Thank you. Please add two stewards at the gate.")
    call_command("run_notifier", "--once")

    *_, email = [m for m in mail.outbox if "Changes requested" in m.subject]
    assert "two stewards" in email.body
    thread = email.body.split("The conversation with the city so far:\n", 1)[1]
    assert thread.index(REQUEST) < thread.index(ANSWER) < thread.index("two stewards")
    assert "Carol City (City official), " in thread
    assert "Alice Martin (Organiser), " in thread


def test_the_email_of_a_first_request_has_no_conversation_yet(sent_back):
    call_command("run_notifier", "--once")

    (email,) = [m for m in mail.outbox if "Changes requested" in m.subject]
    assert "The conversation with the city so far:" not in email.body
