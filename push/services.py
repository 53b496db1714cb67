"""Writes of Web Push: subscribing a browser, unsubscribing, and forgetting the subscriptions
of a login that ended."""

from __future__ import annotations

from django.db import transaction

from push.models import PushSubscription


@transaction.atomic
def subscribe(*, user, endpoint: str, p256dh: str, auth: str, event=None,
              session_key: str = "", token_key: str = "") -> tuple[PushSubscription, bool]:
    """Keep (or update) the browser's subscription for ``user``; returns (it, created).

    The endpoint names one browser: posted again, it is updated, never duplicated — and if
    another person had it, the browser is now this person's (the one signed in on it), with the
    new keys. ``session_key``/``token_key`` tie it to the login it was made in.
    """
    existing = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
    fields = {"user": user, "p256dh": p256dh, "auth": auth, "event": event,
              "session_key": session_key or "", "token_key": token_key or ""}
    if existing is None:
        return PushSubscription.objects.create(endpoint=endpoint, **fields), True
    if existing.user_id != user.pk:
        existing.deliveries.all().delete()  # nothing meant for the other person goes out
    for name, value in fields.items():
        setattr(existing, name, value)
    existing.save()
    return existing, False


def unsubscribe(subscription: PushSubscription) -> None:
    """Forget a subscription, and whatever was still to be pushed to it."""
    subscription.delete()


def forget_session(*, user, session_key: str) -> int:
    """A person logged out: the subscriptions made in that session go; returns how many."""
    deleted, _by_model = PushSubscription.objects.filter(
        user=user, session_key=session_key).delete()
    return deleted


def forget_person(*, user) -> int:
    """A person's access was taken back: every subscription of theirs goes."""
    deleted, _by_model = PushSubscription.objects.filter(user=user).delete()
    return deleted
