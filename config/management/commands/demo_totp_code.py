"""``manage.py demo_totp_code USERNAME``: the two-factor code a demo account's authenticator
would show now, for trying Parley without an authenticator app. Demo accounts only, and only
with ``DEBUG`` on: a real deployment never prints codes."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP

from config.management.commands.load_demo_data import DEMO_ACCOUNTS
from coordination.accounts import two_factor


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo account (DEBUG only)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username", choices=[name for name, *_rest in DEMO_ACCOUNTS])

    def handle(self, *args, username: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("Only for the demo: DEBUG must be on.")
        user = get_user_model().objects.filter(username=username).first()
        device = user and two_factor.confirmed_totp_device(user)
        if device is None:
            raise CommandError(f"{username} has no authenticator (organisers need none; otherwise "
                               "run load_demo_data first).")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        code = f"{totp.token():0{device.digits}d}"
        self.stdout.write(f"{code}  (valid for {device.step - int(totp.time) % device.step} s)")
