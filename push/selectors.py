"""Reads of Web Push."""

from __future__ import annotations

import datetime as dt

from django.contrib.sessions.models import Session
from django.db.models import F, Q
from django.utils import timezone
from knox.models import AuthToken

from push.models import PushSubscription


def own_subscription(user, pk: int) -> PushSubscription | None:
    """``user``'s subscription ``pk``; None if there is none or it is someone else's."""
    return PushSubscription.objects.filter(pk=pk, user=user).first()


def with_live_login(subscriptions: list[PushSubscription], *,
                    now: dt.datetime) -> list[PushSubscription]:
    """Those of ``subscriptions`` whose login is still on: one made in a session that ended
    (logout, expiry) or with an API token that is gone gets no more pushes."""
    sessions = {s.session_key for s in subscriptions if s.session_key}
    tokens = {s.token_key for s in subscriptions if s.token_key}
    live_sessions = set(Session.objects.filter(session_key__in=sessions, expire_date__gt=now)
                        .values_list("session_key", flat=True)) if sessions else set()
    live_tokens = set(AuthToken.objects.filter(token_key__in=tokens)
                      .filter(Q(expiry__isnull=True) | Q(expiry__gt=now))
                      .values_list("token_key", flat=True)) if tokens else set()
    return [s for s in subscriptions
            if (not s.session_key or s.session_key in live_sessions)
            and (not s.token_key or s.token_key in live_tokens)]


def subscriptions_for(users: list, event) -> list[PushSubscription]:
    """The live subscriptions of ``users`` that take ``event``'s pushes (those for every
    demonstration of theirs, and those for this one)."""
    subscriptions = list(
        PushSubscription.objects.filter(user__in=users)
        .filter(Q(event__isnull=True) | Q(event=event))
        .order_by(F("event_id").desc(nulls_last=True), "pk")
    )
    return with_live_login(subscriptions, now=timezone.now())


def live_subscription(pk: int) -> PushSubscription | None:
    """Subscription ``pk`` of an active person, if its login is still on."""
    subscription = (PushSubscription.objects.select_related("user")
                    .filter(pk=pk, user__is_active=True).first())
    if subscription is None or not with_live_login([subscription], now=timezone.now()):
        return None
    return subscription
