"""The city's administrators look zones up in the Django admin; they cannot write there,
because every write must be versioned, logged and announced by ``zones.services``."""

from tests.support.accounts import log_in
from tests.support.factories import make_user
from tests.support.zones import make_sensitive_site, make_zone
from zones import services


def test_an_administrator_reads_zones_with_their_versions_and_agreements(
        alices_event, alice, bob, carol, client):
    zone = make_zone(alices_event, bob)
    services.agree_zone(zone, actor=alice, version=1)
    site = make_sensitive_site(carol)
    admin = make_user("root", "city", is_staff=True, is_superuser=True)
    log_in(client, admin)

    listing = client.get("/admin/zones/zone/")
    page = client.get(f"/admin/zones/zone/{zone.pk}/change/")

    assert listing.status_code == page.status_code == 200
    assert "Steps of City Hall" in listing.content.decode()
    assert "Children&#x27;s hospital" in listing.content.decode()
    assert "organiser" in page.content.decode() and "alice" in page.content.decode()
    assert client.get(f"/admin/zones/zone/{site.pk}/change/").status_code == 200
    assert client.get("/admin/zones/zone/add/").status_code == 403
