"""Sending the composed pushes: encrypted (RFC 8291, aes128gcm), signed (VAPID, RFC 8292),
POSTed to each browser's push service, side by side on a small pool of threads sharing one
HTTP session.

Each round claims the due deliveries (so that two notifiers never send one), sends them, and
sorts the answers: 201 and the like → sent; 404 or 410 → the browser dropped the
subscription, which is deleted; anything else (5xx, 429, no answer) → retried later, the
wait doubling from ``PARLEY_PUSH_RETRY_SECONDS`` up to ``PARLEY_PUSH_RETRY_MAX_SECONDS``, given
up after ``PARLEY_PUSH_MAX_ATTEMPTS``. A push not sent by its ``expires_at`` (the thing plus
``PARLEY_PUSH_TTL_SECONDS``) is dropped: too old to matter.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from pywebpush import WebPusher

from events.models import EventMembership
from push.endpoints import UnsafeEndpoint, check_endpoint
from push.keys import push_enabled, vapid_headers
from push.models import PushDelivery, PushSubscription

logger = logging.getLogger("parley.notifications")

#: A claimed push not answered in this long may be claimed by another round (its notifier
#: died mid-send).
CLAIM_SECONDS = 120
#: Sent pushes are kept this long (their keys keep a thing from being pushed twice), then
#: swept.
KEEP_SENT = dt.timedelta(days=1)
#: How long one push service may take to answer.
TIMEOUT_SECONDS = 10
#: At most this many pushes sent per round.
BATCH = 2000

_local = threading.local()


def _session() -> requests.Session:
    """One HTTP session per sending thread (connections to a push service are kept open
    between pushes; a requests.Session is not meant to be shared across threads)."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.max_redirects = 0  # a push service answers; it does not send us elsewhere
        _local.session = session
    return session


@dataclass
class Outcome:
    delivery_id: int
    subscription_id: int
    status: int | None  # the push service's answer; None when there was none
    error: str = ""


def _send_one(delivery: PushDelivery, now: dt.datetime) -> Outcome:
    subscription = delivery.subscription
    try:
        check_endpoint(subscription.endpoint)
        ttl = max(int((delivery.expires_at - now).total_seconds()), 0)
        response = WebPusher(subscription.as_subscription_info(),
                             requests_session=_session()).send(
            json.dumps(delivery.payload, ensure_ascii=False),
            headers={**vapid_headers(subscription.endpoint), "Urgency": "high"},
            ttl=ttl, content_encoding="aes128gcm", timeout=TIMEOUT_SECONDS,
        )
        return Outcome(delivery.pk, subscription.pk, response.status_code,
                       "" if response.status_code < 300 else response.text[:200])
    except UnsafeEndpoint as exc:
        return Outcome(delivery.pk, subscription.pk, 410, str(exc))
    except Exception as exc:  # no answer: connection refused, timeout, TLS, redirect…
        return Outcome(delivery.pk, subscription.pk, None, f"{type(exc).__name__}: {exc}")


class Sender:
    """Sends due pushes, a pool of ``PARLEY_PUSH_THREADS`` threads kept between rounds."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=max(settings.PARLEY_PUSH_THREADS, 1),
                                       thread_name_prefix="push")

    def close(self) -> None:
        self.pool.shutdown(wait=True)

    def deliver(self, *, now: dt.datetime | None = None) -> dict[str, int]:
        """One round; counts of pushes ``sent``, ``failed`` (to retry), ``gone``
        (subscriptions deleted), ``dropped`` (too old, or given up)."""
        now = now or timezone.now()
        result = {"sent": 0, "failed": 0, "gone": 0, "dropped": 0}
        expired, _by_model = PushDelivery.objects.filter(sent_at__isnull=True,
                                                         expires_at__lte=now).delete()
        if expired:
            logger.warning("dropped %s push(es) too old to matter", expired)
            result["dropped"] += expired
        PushDelivery.objects.filter(sent_at__lt=now - KEEP_SENT).delete()
        if not push_enabled():
            return result
        deliveries = self._claim(now)
        if not deliveries:
            return result
        deliveries = self._still_theirs(deliveries, result)
        outcomes = list(self.pool.map(lambda d: _send_one(d, now), deliveries))
        self._record(outcomes, {d.pk: d for d in deliveries}, now, result)
        return result

    @staticmethod
    def _still_theirs(deliveries: list[PushDelivery], result: dict[str, int]
                      ) -> list[PushDelivery]:
        """Those of ``deliveries`` whose person is still an active member of the
        demonstration: someone taken off it since the push was composed (a retry can wait
        an hour) hears nothing more of it. The others are deleted."""
        pairs = {(d.subscription.user_id, d.payload.get("event")) for d in deliveries}
        members = set(EventMembership.objects.filter(
            user_id__in={user for user, _event in pairs},
            event_id__in={event for _user, event in pairs}, user__is_active=True,
        ).values_list("user_id", "event_id"))
        keep = [d for d in deliveries
                if (d.subscription.user_id, d.payload.get("event")) in members]
        if len(keep) < len(deliveries):
            gone = [d.pk for d in deliveries if d not in keep]
            PushDelivery.objects.filter(pk__in=gone).delete()
            result["dropped"] += len(gone)
        return keep

    def _claim(self, now: dt.datetime) -> list[PushDelivery]:
        due = Q(sent_at__isnull=True, next_attempt_at__lte=now) & (
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        ids = list(PushDelivery.objects.filter(due).order_by("next_attempt_at", "pk")
                   .values_list("pk", flat=True)[:BATCH])
        if not ids:
            return []
        claim = uuid.uuid4().hex
        # One UPDATE: a row another notifier claimed meanwhile no longer matches ``due``.
        PushDelivery.objects.filter(due, pk__in=ids).update(
            claim=claim, claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS))
        return list(PushDelivery.objects.filter(claim=claim, sent_at__isnull=True)
                    .select_related("subscription").order_by("pk"))

    def _record(self, outcomes: list[Outcome], deliveries: dict[int, PushDelivery],
                now: dt.datetime, result: dict[str, int]) -> None:
        sent = [o for o in outcomes if o.status is not None and 200 <= o.status < 300]
        gone = {o.subscription_id for o in outcomes if o.status in (404, 410)}
        failed = [o for o in outcomes if o not in sent and o.subscription_id not in gone]
        # Each write is for this round's claim only: were it taken over by another notifier
        # (this round outlived CLAIM_SECONDS), that one records its own sending.
        claim = next(iter(deliveries.values())).claim if deliveries else ""
        if sent:
            PushDelivery.objects.filter(pk__in=[o.delivery_id for o in sent],
                                        claim=claim).update(
                sent_at=now, attempts=1, claim="", claimed_until=None)
            PushSubscription.objects.filter(
                pk__in={o.subscription_id for o in sent}).update(last_success_at=now)
            result["sent"] += len(sent)
        if gone:
            for outcome in outcomes:
                if outcome.subscription_id in gone and outcome.status in (404, 410):
                    logger.info("push subscription %s is gone (%s): deleted",
                                outcome.subscription_id, outcome.error or outcome.status)
            # The browser dropped the endpoint: every subscription on it goes.
            endpoints = PushSubscription.objects.filter(pk__in=gone).values("endpoint")
            PushSubscription.objects.filter(endpoint__in=endpoints).delete()
            result["gone"] += len(gone)
        for outcome in failed:
            delivery = deliveries[outcome.delivery_id]
            attempts = delivery.attempts + 1
            if attempts >= settings.PARLEY_PUSH_MAX_ATTEMPTS:
                logger.warning("push %s to subscription %s given up after %s attempts: %s",
                               delivery.key, outcome.subscription_id, attempts,
                               outcome.error or outcome.status)
                PushDelivery.objects.filter(pk=delivery.pk, claim=claim).delete()
                result["dropped"] += 1
                continue
            wait = min(settings.PARLEY_PUSH_RETRY_SECONDS * 2 ** (attempts - 1),
                       settings.PARLEY_PUSH_RETRY_MAX_SECONDS)
            logger.warning("push %s to subscription %s failed (attempt %s), retry in %ss: %s",
                           delivery.key, outcome.subscription_id, attempts, wait,
                           outcome.error or outcome.status)
            PushDelivery.objects.filter(pk=delivery.pk, claim=claim).update(
                attempts=attempts, next_attempt_at=now + dt.timedelta(seconds=wait),
                claim="", claimed_until=None)
            result["failed"] += 1

