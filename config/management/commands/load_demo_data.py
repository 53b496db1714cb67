"""``manage.py load_demo_data``: demo accounts (one per party) and a few demonstrations.

Idempotent: running it again changes nothing. Passwords are generated on the first run and
kept in ``var/demo-accounts.json`` (outside git), then printed every time.

This command sits at the top of the import graph (like the desk and the review), so it may
use every app's services.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import LineString, Point
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from coordination.accounts import two_factor
from events import services as event_services
from events.models import Event
from messaging.models import StandardInstruction

DEMO_ACCOUNTS = [
    # username, role, first name, last name
    ("alice", "organiser", "Alice", "Martin"),
    ("bob", "police", "Bob", "Okafor"),
    ("carol", "city", "Carol", "Nguyen"),
    ("dave", "reviewer", "Dave", "Schmidt"),
]


def _accounts_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-accounts.json"


def _load_passwords() -> dict[str, str]:
    path = _accounts_file()
    if path.exists():
        return json.loads(path.read_text())
    return {}


def _save_passwords(passwords: dict[str, str]) -> None:
    path = _accounts_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Readable by this user only: these are real credentials for the running demo.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(passwords, handle, indent=2)


#: The city's standard instructions (messaging.models.StandardInstruction): label, texts.
DEMO_INSTRUCTIONS = [
    ("Assembly area", {
        "en": "Please move to the assembly area.",
        "fr": "Veuillez rejoindre la zone de rassemblement.",
        "es": "Por favor, diríjanse a la zona de concentración.",
    }),
    ("Route changed", {
        "en": "The route has changed: see the map.",
        "fr": "L'itinéraire a changé : voir la carte.",
        "es": "El recorrido ha cambiado: consulten el mapa.",
    }),
    ("Entrance clear", {
        "en": "Please keep the entrance clear.",
        "fr": "Merci de laisser l'entrée dégagée.",
        "es": "Por favor, mantengan despejada la entrada.",
    }),
]


class Command(BaseCommand):
    help = "Create the demo accounts and demonstrations (idempotent) and print the accounts."

    def handle(self, *args, **options) -> None:
        passwords = _load_passwords()
        users = self._ensure_accounts(passwords)
        self._ensure_events(users)
        self._ensure_standard_instructions()
        self._print_accounts(passwords, users)

    def _ensure_accounts(self, passwords: dict[str, str]) -> dict:
        User = get_user_model()
        users = {}
        changed = False
        for username, role, first, last in DEMO_ACCOUNTS:
            user = User.objects.filter(username=username).first()
            if user is None or username not in passwords:
                passwords.setdefault(username, secrets.token_urlsafe(9))
                user = user or User(username=username, role=role, first_name=first,
                                    last_name=last, email=f"{username}@demo.parley.invalid")
                user.set_password(passwords[username])
                user.save()
                changed = True
            if two_factor.requires_two_factor(user) and not two_factor.has_second_factor(user):
                # A known authenticator for the demo (printed below), so that a newcomer
                # can log in without scanning anything: see demo_totp_code.
                device = two_factor.pending_totp_device(user)
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            users[username] = user
        if changed:
            _save_passwords(passwords)
        return users

    @transaction.atomic
    def _ensure_events(self, users: dict) -> None:
        alice, carol = users["alice"], users["carol"]
        if Event.objects.filter(organiser=alice).exists():
            return  # demo demonstrations are already there
        soon = (timezone.now() + dt.timedelta(days=7)).replace(
            hour=14, minute=0, second=0, microsecond=0
        )
        library = event_services.register_event(
            organiser=alice, title="Save the Main Library", kind="static",
            organisation="Friends of the Library", expected_attendance=150, stewards=8,
            description="A gathering on the library steps against its closure.",
            starts_at=soon, ends_at=soon + dt.timedelta(hours=2),
            assembly_point=Point(-82.9988, 39.9612, srid=4326),
            assembly_point_name="Steps of the Main Library", languages=["en", "es"],
            contact_name="Alice Martin", contact_phone="+1 614 555 0100",
            contact_email="alice@demo.parley.invalid",
        )
        event_services.transition_event(library, to="submitted", actor=alice)

        # On the day (agreed, starting within PARLEY_LIVE_WINDOW_HOURS): `make run` shows its
        # page as the operations screen.
        river_start = (timezone.now() + dt.timedelta(hours=3)).replace(second=0, microsecond=0)
        river = event_services.register_event(
            organiser=alice, title="March for Clean Rivers", kind="march",
            organisation="Scioto River Friends", expected_attendance=1200, stewards=40,
            starts_at=river_start, ends_at=river_start + dt.timedelta(hours=3),
            assembly_point=Point(-83.0030, 39.9580, srid=4326),
            assembly_point_name="Scioto Mile fountain",
            route=LineString(
                (-83.0030, 39.9580), (-83.0007, 39.9610), (-82.9990, 39.9640),
                (-82.9985, 39.9680), srid=4326,
            ),
            dispersal_point=Point(-82.9985, 39.9680, srid=4326),
            dispersal_point_name="North Bank Park", amplified_sound=True,
            accessibility_needs="Step-free route; two rest points with seating.",
            languages=["en", "fr", "so"], contact_name="Alice Martin",
            contact_phone="+1 614 555 0100", contact_email="alice@demo.parley.invalid",
        )
        event_services.transition_event(river, to="submitted", actor=alice)
        event_services.transition_event(river, to="under_review", actor=carol)
        event_services.add_member(river, username="bob", actor=carol)
        event_services.add_member(river, username="carol", actor=carol)
        event_services.transition_event(river, to="agreed", actor=carol,
                                        note="Route agreed at the liaison meeting.")

        # Concluded, so that the reviewer has an after-action log to read: a record of
        # yesterday evening, each step logged when it would have happened.
        vigil_start = (timezone.now() - dt.timedelta(days=1)).replace(
            hour=20, minute=0, second=0, microsecond=0)
        with _clock_at(vigil_start - dt.timedelta(days=3)):
            vigil = event_services.register_event(
                organiser=alice, title="Candlelight vigil", kind="vigil",
                expected_attendance=80, starts_at=vigil_start,
                ends_at=vigil_start + dt.timedelta(hours=1),
                assembly_point=Point(-82.9875, 39.9620, srid=4326),
                assembly_point_name="Goodale Park gazebo", languages=["en"],
            )
            event_services.transition_event(vigil, to="submitted", actor=alice)
        with _clock_at(vigil_start - dt.timedelta(days=2)):
            event_services.transition_event(vigil, to="under_review", actor=carol)
            event_services.add_member(vigil, username="bob", actor=carol)
            event_services.transition_event(vigil, to="agreed", actor=carol)
        with _clock_at(vigil_start - dt.timedelta(minutes=15)):
            event_services.transition_event(vigil, to="live", actor=carol)
        with _clock_at(vigil_start + dt.timedelta(hours=1, minutes=5)):
            event_services.transition_event(vigil, to="concluded", actor=carol,
                                            note="Ended peacefully.")

    def _ensure_standard_instructions(self) -> None:
        """The city's ready instructions, in English, French and Spanish."""
        for position, (label, texts) in enumerate(DEMO_INSTRUCTIONS):
            StandardInstruction.objects.get_or_create(
                label=label, defaults={"texts": texts, "position": position})

    def _print_accounts(self, passwords: dict[str, str], users: dict) -> None:
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Demo accounts (one per party):"))
        for username, role, first, last in DEMO_ACCOUNTS:
            self.stdout.write(
                f"  {username:<8} {role:<10} {first + ' ' + last:<16} "
                f"password: {passwords[username]}"
            )
            device = two_factor.confirmed_totp_device(users[username])
            if two_factor.requires_two_factor(users[username]) and device is not None:
                self.stdout.write(f"           two-factor key: {two_factor.secret_of(device)}")
        self.stdout.write(f"  (stored in {_accounts_file()}, outside git)")
        self.stdout.write(
            "  Police, city and reviewer accounts also ask for a two-factor code: add the key "
            "to an authenticator app,\n  or print the current code with "
            "`make otp ACCOUNT=bob` (manage.py demo_totp_code bob)."
        )
        self.stdout.write("")


@contextmanager
def _clock_at(moment: dt.datetime) -> Iterator[None]:
    """Demo data only: what is done inside happens, and is logged, at ``moment`` (so that a
    concluded demonstration is a record of the past, its log in step with its times)."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield
