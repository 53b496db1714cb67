"""``manage.py verify_log [EVENT_REFERENCE ...]``: exit status 1 if any log does not verify."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from coordination.log import verify_event_log


class Command(BaseCommand):
    help = "Recompute the hash chain of events' after-action logs (all events by default)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("references", nargs="*", metavar="EVENT_REFERENCE")

    def handle(self, *args, **options) -> None:
        # Looked up by name: the log (bottom of the import graph) imports no app.
        Event = apps.get_model("events", "Event")
        events = Event.objects.order_by("pk")
        if options["references"]:
            events = events.filter(reference__in=options["references"])
            missing = set(options["references"]) - set(events.values_list("reference", flat=True))
            if missing:
                raise CommandError(f"No such event: {', '.join(sorted(missing))}")
        failures = 0
        for event_id, reference in events.values_list("pk", "reference"):
            result = verify_event_log(event_id)
            if result.valid:
                self.stdout.write(f"{reference}: ok ({result.entries} entries)")
            else:
                failures += 1
                self.stdout.write(self.style.ERROR(
                    f"{reference}: BROKEN at seq {result.first_bad_seq} "
                    f"({result.entries} entries)"
                ))
        if failures:
            raise CommandError(f"{failures} log(s) do not verify.", returncode=1)
