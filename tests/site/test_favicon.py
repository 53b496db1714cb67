"""The site's icon: browsers ask for /favicon.ico on every page, whatever it links."""

from django.contrib.staticfiles import finders

from tests.support.accounts import log_in


def test_a_browser_asking_for_favicon_ico_is_sent_to_the_icon(client, db):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
    assert finders.find("favicon.svg")


def test_a_police_officer_before_the_second_factor_still_gets_the_icon(client, bob):
    log_in(client, bob, verified=False)

    assert client.get("/favicon.ico").status_code == 301


def test_every_page_links_the_icon(client, alice):
    log_in(client, alice)

    for url in ("/", "/public/"):
        assert 'rel="icon"' in client.get(url).content.decode(), url
