"""Reads of Web Push."""

from __future__ import annotations

import datetime as dt

from django.contrib.sessions.models import Session
from django.db.models import F, Q
from django.utils import timezone
from knox.models import AuthToken

from coordination.accounts.middleware import session_idle_expired
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


def idle_subscriptions(subscriptions: list[PushSubscription], *,
                       now: dt.datetime) -> set[int]:
    """The ids of those of ``subscriptions`` made in a browser session that has been unused
    for longer than ``PARLEY_SESSION_IDLE_SECONDS``: the session ends at its next request,
    but a phone in a pocket makes none. Such a phone is told that something happened, not
    what (nor can it acknowledge from the notification) until its person logs in again."""
    keys = {s.session_key for s in subscriptions if s.session_key}
    if not keys:
        return set()
    idle = {session.session_key for session in Session.objects.filter(session_key__in=keys)
            if session_idle_expired(session.get_decoded(), now.timestamp())}
    return {s.pk for s in subscriptions if s.session_key in idle}


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
    """Subscription ``pk`` of an active person, if its login is still on (and not idle)."""
    subscription = (PushSubscription.objects.select_related("user")
                    .filter(pk=pk, user__is_active=True).first())
    now = timezone.now()
    if subscription is None or not with_live_login([subscription], now=now):
        return None
    if idle_subscriptions([subscription], now=now):
        return None
    return subscription
