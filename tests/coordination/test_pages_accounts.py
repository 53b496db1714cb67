"""Account pages, the layout every page shares, and the language switcher."""

import re

from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.support.accounts import log_in
from tests.support.factories import PASSWORD


def test_visitor_signs_up_as_an_organiser_and_lands_on_the_list(client, db):
    response = client.post(reverse("signup"), {
        "username": "olivia", "first_name": "Olivia", "last_name": "Organiser",
        "email": "olivia@example.org", "password1": PASSWORD, "password2": PASSWORD,
        "role": "city",  # ignored: sign-up makes organisers only
    })
    assert response.status_code == 302
    assert response["Location"] == reverse("events:list")
    olivia = get_user_model().objects.get(username="olivia")
    assert olivia.role == "organiser"
    assert not olivia.is_staff
    page = client.get(reverse("events:list")).content.decode()
    assert "Olivia Organiser" in page  # logged in
    assert reverse("events:register") in page


def test_signup_errors_are_shown_and_nothing_is_created(client, db):
    response = client.post(reverse("signup"), {
        "username": "olivia", "first_name": "", "last_name": "O", "email": "not-an-email",
        "password1": PASSWORD, "password2": "something else",
    })
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_email_error"' in page and 'id="id_password2_error"' in page
    assert not get_user_model().objects.filter(username="olivia").exists()


def test_person_logs_in_with_the_login_page(client, alice):
    page = client.get(reverse("login")).content.decode()
    assert '<label for="id_username"' in page and '<label for="id_password"' in page
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("events:list")


def test_log_out_is_a_post_form_in_the_menu(client, alice):
    log_in(client, alice)
    page = client.get(reverse("events:list")).content.decode()
    assert re.search(r'<form method="post" action="/accounts/logout/"[^>]*>', page)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    # Empties the browser of what Parley kept in it: caches, the outbox, IndexedDB.
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert client.get(reverse("events:list")).status_code == 302


def test_organiser_changes_their_password(client, alice):
    log_in(client, alice)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "another fine long secret",
        "new_password2": "another fine long secret",
    })
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("another fine long secret")


def test_password_reset_sends_a_link(client, alice):
    response = client.post(reverse("password_reset"), {"email": "alice@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/reset/" in mail.outbox[0].body
    assert "alice" in mail.outbox[0].body
    assert "\n" not in mail.outbox[0].subject


def test_nav_shows_register_to_organisers_and_admin_to_staff(client, alice, carol):
    log_in(client, alice)
    page = client.get(reverse("events:list")).content.decode()
    assert reverse("events:register") in page and "/admin/" not in page
    carol.is_staff = True
    carol.save()
    log_in(client, carol)
    page = client.get(reverse("events:list")).content.decode()
    assert reverse("events:register") not in page and "/admin/" in page


def test_every_page_has_a_lang_a_viewport_and_a_language_switcher(client, alice):
    log_in(client, alice)
    page = client.get(reverse("events:list")).content.decode()
    assert '<html lang="en"' in page
    assert 'name="viewport"' in page
    assert 'action="/i18n/setlang/"' in page
    assert '<option value="fr"' in page


def test_language_switcher_sets_french(client, alice):
    log_in(client, alice)
    response = client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    assert response.status_code == 302
    page = client.get(reverse("events:list")).content.decode()
    assert '<html lang="fr"' in page


def test_login_page_works_without_an_account_in_french(client, db):
    client.post("/i18n/setlang/", {"language": "fr", "next": "/accounts/login/"})
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert '<html lang="fr"' in response.content.decode()


def test_404_page_is_html_with_the_site_layout(client, alice):
    log_in(client, alice)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Not found" in response.content.decode()
