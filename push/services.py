"""Writes of Web Push: subscribing a browser, unsubscribing, and forgetting the subscriptions
of a login that ended."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from push.models import PushSubscription


class TooManySubscriptions(Exception):
    """The person has turned notifications on in ``PARLEY_PUSH_MAX_SUBSCRIPTIONS_PER_PERSON``
    places (phones by demonstrations) already."""


class EndpointTaken(Exception):
    """The endpoint is another person's subscription, and the keys posted are not its keys."""


@transaction.atomic
def subscribe(*, user, endpoint: str, p256dh: str, auth: str, event=None,
              session_key: str = "", token_key: str = "") -> tuple[PushSubscription, bool]:
    """Keep (or update) the browser's subscription for ``user`` to ``event`` (all of their
    demonstrations when None); returns (it, created).

    The same endpoint and event posted again is updated, never duplicated; the browser's
    keys are updated on all its subscriptions. A browser signed in by another person now
    is theirs: the other person's subscriptions on it go — but only when the keys posted are
    the browser's own (its authentication secret is never shown to anyone else), or anyone
    who learnt the endpoint could turn another person's notifications off: then
    ``EndpointTaken``. ``session_key``/``token_key`` tie it to the login it was made in.
    """
    others = PushSubscription.objects.filter(user=user).exclude(endpoint=endpoint, event=event)
    if others.count() >= settings.PARLEY_PUSH_MAX_SUBSCRIPTIONS_PER_PERSON:
        raise TooManySubscriptions
    on_this_browser = PushSubscription.objects.select_for_update().filter(endpoint=endpoint)
    if on_this_browser.exclude(user=user).exclude(p256dh=p256dh, auth=auth).exists():
        raise EndpointTaken
    on_this_browser.exclude(user=user).delete()  # nothing meant for them goes out on it
    on_this_browser.update(p256dh=p256dh, auth=auth)
    return PushSubscription.objects.update_or_create(
        endpoint=endpoint, event=event,
        defaults={"user": user, "p256dh": p256dh, "auth": auth,
                  "session_key": session_key or "", "token_key": token_key or ""},
    )


def unsubscribe(subscription: PushSubscription) -> None:
    """Forget a subscription, and whatever was still to be pushed to it."""
    subscription.delete()


def forget_session(*, user, session_key: str) -> int:
    """A person logged out: the subscriptions made in that session go; returns how many."""
    deleted, _by_model = PushSubscription.objects.filter(
        user=user, session_key=session_key).delete()
    return deleted


def forget_tokens(*, user) -> int:
    """A person's API tokens were all revoked: the subscriptions made with them go; returns
    how many."""
    deleted, _by_model = PushSubscription.objects.filter(user=user).exclude(
        token_key="").delete()
    return deleted


def forget_person(*, user) -> int:
    """A person's access was taken back: every subscription of theirs goes."""
    deleted, _by_model = PushSubscription.objects.filter(user=user).delete()
    return deleted
