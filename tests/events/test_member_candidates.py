"""Whom the event page suggests beside "Add member" (GET /events/{id}/members/candidates/):
only people the reader may add, active, not members yet, at most 20 — and for organisers,
who add other organisers, nobody until three letters of a name are typed."""

from __future__ import annotations

from django.urls import reverse

from tests.support.accounts import log_in
from tests.support.factories import make_user


def candidates(client, user, event, query: str = ""):
    log_in(client, user)
    return client.get(reverse("events:member_candidates", args=[event.pk]), {"q": query})


def usernames(response) -> list[str]:
    assert response.status_code == 200, response
    return [person["username"] for person in response.json()]


def test_city_official_finds_police_and_city_staff_who_are_not_members_yet(
        client, alices_event, carol, erin, frank, mallory):
    response = candidates(client, carol, alices_event)

    # Bob and Carol are members already; Alice and Mallory are organisers.
    assert response.json() == [
        {"username": "erin", "name": "Erin Beat", "role_label": "Police liaison officer"},
        {"username": "frank", "name": "Frank Desk", "role_label": "City official"},
    ]


def test_city_official_searches_by_any_part_of_a_name(client, alices_event, carol, erin, frank):
    assert usernames(candidates(client, carol, alices_event, "beat")) == ["erin"]
    assert usernames(candidates(client, carol, alices_event, "Frank D")) == ["frank"]
    assert usernames(candidates(client, carol, alices_event, "nobody")) == []


def test_deactivated_accounts_are_never_suggested(client, alices_event, carol, erin):
    erin.is_active = False
    erin.save()

    assert usernames(candidates(client, carol, alices_event, "erin")) == []


def test_at_most_twenty_people_are_suggested(client, alices_event, carol):
    for number in range(25):
        make_user(f"officer{number:02d}", "police", name=f"Officer {number:02d}")

    assert len(usernames(candidates(client, carol, alices_event, "officer"))) == 20


def test_organiser_is_told_of_nobody_until_three_letters_are_typed(client, alices_event, alice,
                                                                   mallory):
    assert usernames(candidates(client, alice, alices_event, "")) == []
    assert usernames(candidates(client, alice, alices_event, "ma")) == []
    assert usernames(candidates(client, alice, alices_event, "mal")) == ["mallory"]


def test_organiser_finds_a_co_organiser_only_by_the_start_of_a_name(client, alices_event,
                                                                    alice, mallory):
    assert usernames(candidates(client, alice, alices_event, "Oth")) == ["mallory"]
    assert usernames(candidates(client, alice, alices_event, "Mallory O")) == ["mallory"]
    assert usernames(candidates(client, alice, alices_event, "llory")) == []


def test_organiser_is_never_suggested_police_or_city_staff(client, alices_event, alice, erin,
                                                           frank):
    assert usernames(candidates(client, alice, alices_event, "Erin")) == []
    assert usernames(candidates(client, alice, alices_event, "fra")) == []


def test_only_those_who_may_add_members_may_ask(client, alices_event, bob, mallory, dave):
    assert candidates(client, bob, alices_event, "eri").status_code == 403
    assert candidates(client, mallory, alices_event, "ali").status_code == 404
    assert candidates(client, dave, alices_event, "eri").status_code == 404
    client.logout()
    url = reverse("events:member_candidates", args=[alices_event.pk])
    assert client.get(url).status_code == 302


def test_the_event_page_wires_the_picker_to_the_add_member_field(client, alices_event, alice,
                                                                 carol):
    log_in(client, alice)
    page = client.get(alices_event.get_absolute_url()).content.decode()
    assert 'data-min-chars="3"' in page and "events/member_picker.js" in page
    assert 'name="username"' in page  # still a plain field without the script

    log_in(client, carol)
    assert 'data-min-chars="0"' in client.get(alices_event.get_absolute_url()).content.decode()


def add_by_typing(client, user, event, text: str):
    log_in(client, user)
    return client.post(reverse("events:add_member", args=[event.pk]), {"username": text},
                       follow=True)


def test_organiser_adds_the_co_organiser_the_picker_found_by_their_full_name(
        client, alices_event, alice, mallory):
    assert usernames(candidates(client, alice, alices_event, "mallory other")) == ["mallory"]

    page = add_by_typing(client, alice, alices_event, "mallory OTHER").content.decode()

    assert "No organiser has this username." not in page
    assert alices_event.memberships.filter(user=mallory).exists()


def test_a_full_name_shared_by_two_people_or_not_addable_adds_nobody(client, alices_event,
                                                                     alice, carol, erin, frank):
    make_user("erin2", "police", name="Erin Beat")
    add_by_typing(client, carol, alices_event, "Erin Beat")
    assert not alices_event.memberships.filter(user__first_name="Erin").exists()

    page = add_by_typing(client, alice, alices_event, "Frank Desk").content.decode()
    assert "No organiser has this username." in page  # an official, not hers to add


def test_the_add_member_label_says_name_or_username(client, alices_event, alice, carol):
    log_in(client, alice)
    assert "Add a co-organiser by name or username" in client.get(
        alices_event.get_absolute_url()).content.decode()
    log_in(client, carol)
    assert "Add a police officer or city official by name or username" in client.get(
        alices_event.get_absolute_url()).content.decode()
