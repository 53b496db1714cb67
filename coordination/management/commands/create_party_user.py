"""``manage.py create_party_user USERNAME --role ROLE [--password P] [--email E]``."""

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from coordination.parties import Role


class Command(BaseCommand):
    help = "Create a user of one party (organiser, police, city or reviewer)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password", help="Non-interactive when given.")
        parser.add_argument("--email", default="")
        parser.add_argument("--name", default="", help="Full name, e.g. 'Carol Jones'.")
        parser.add_argument(
            "--admin", action="store_true",
            help="Also a city administrator: may use the Django admin (city role only).",
        )

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        username = options["username"]
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        password = options["password"]
        if password is None:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        if options["admin"] and options["role"] != Role.CITY:
            raise CommandError("Only city officials can be administrators.")
        first, _, last = options["name"].partition(" ")
        user = User(username=username, email=options["email"], role=options["role"],
                    first_name=first, last_name=last,
                    is_staff=options["admin"], is_superuser=options["admin"])
        if options["password"] is None:
            # Typed by a person: hold it to the password rules. Scripts and tests choose.
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
        user.set_password(password)
        user.save()
        self.stdout.write(self.style.SUCCESS(f"Created {options['role']} {username}."))
