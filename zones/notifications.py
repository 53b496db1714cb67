"""E-mails to a demonstration's organisers when one of its zones needs their agreement
(queued, in each organiser's language; coordination/notifications.py sends them)."""

from __future__ import annotations

from coordination.notifications import queue_email, site_url
from coordination.parties import Role
from events.notifications import organisers_of
from zones.models import Zone, ZoneAgreement


def notify_organisers_zone_awaits_agreement(zone: Zone, *, actor, changed: bool) -> int:
    """Queue an e-mail to each organiser of the zone's demonstration (except ``actor``) when
    its current version waits for the organisers' agreement; returns how many were queued.

    Called when a zone is proposed (``changed=False``) or changed into a new version
    (``changed=True``): a new version has no agreements, so the organisers' is awaited.
    """
    event = zone.event
    if event is None or Role.ORGANISER not in zone.parties:
        return 0
    if ZoneAgreement.objects.filter(zone=zone, version__number=zone.version,
                                    party=Role.ORGANISER).exists():
        return 0
    context = {
        "event": event,
        "zone": zone,
        "zone_name": zone.label or Zone.Kind(zone.kind).label,
        "changed": changed,
        "actor_party": Role(actor.role).label,
        "link": site_url(event.get_absolute_url()),
    }
    queued = 0
    for organiser in organisers_of(event):
        if organiser.pk == actor.pk:
            continue
        queued += queue_email(
            organiser, subject_template="email/zone_awaits_agreement_subject.txt",
            body_template="email/zone_awaits_agreement_body.txt", context=context,
        )
    return queued
