"""``manage.py verify_log [EVENT_REFERENCE ...]``: exit status 1 if any log does not verify.

``manage.py verify_log EVENT_REFERENCE --receipt SEQ:HASH [--receipt …]``: also exit status 1
unless the log still holds entry ``SEQ`` with that hash — which catches a log rewritten with
every hash recomputed, which the chain alone cannot (docs/log.md, "Receipts").
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from coordination.log import (
    RECEIPT_FORMAT,
    Receipt,
    ReceiptResult,
    check_receipts,
    parse_receipt,
    verify_event_log,
)


def _receipt(text: str) -> Receipt:
    try:
        return parse_receipt(text)
    except ValueError as error:
        raise CommandError(str(error)) from None


def describe(result: ReceiptResult) -> str:
    """One receipt's outcome in a line (also what the review page says, in words)."""
    text = f"receipt {result.receipt.text}"
    if result.holds:
        return f"{text}: holds"
    if result.reason == "chain":
        why = f"the chain itself breaks at seq {result.first_bad_seq}"
    elif result.reason == "missing":
        why = f"the log ends before it: entries from seq {result.first_bad_seq} on are missing"
    else:
        why = (f"the log was changed after seq {result.holds_up_to}, at or before seq "
               f"{result.first_bad_seq}")
    return f"{text}: does NOT hold ({why}; first bad seq {result.first_bad_seq})"


class Command(BaseCommand):
    help = ("Recompute the hash chain of events' after-action logs (all events by default); "
            "with --receipt, also check that one event's log still holds the entries of "
            "receipts kept elsewhere.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("references", nargs="*", metavar="EVENT_REFERENCE")
        parser.add_argument(
            "--receipt", action="append", default=[], metavar=RECEIPT_FORMAT,
            help="A receipt of the log (the entry's seq and hash, as the event page, the "
                 "e-mails and the public page give them); repeat for several.")

    def handle(self, *args, **options) -> None:
        # Looked up by name: the log (bottom of the import graph) imports no app.
        Event = apps.get_model("events", "Event")
        receipts = [_receipt(text) for text in options["receipt"]]
        if receipts and len(options["references"]) != 1:
            raise CommandError(f"--receipt checks one event's log: name exactly one event "
                               f"(verify_log EVENT_REFERENCE --receipt {RECEIPT_FORMAT}).")
        events = Event.objects.order_by("pk")
        if options["references"]:
            events = events.filter(reference__in=options["references"])
            missing = set(options["references"]) - set(events.values_list("reference", flat=True))
            if missing:
                raise CommandError(f"No such event: {', '.join(sorted(missing))}")
        if receipts:
            self._check_receipts(*events.values_list("pk", "reference").get(), receipts)
            return
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

    def _check_receipts(self, event_id: int, reference: str, receipts: list[Receipt]) -> None:
        check = check_receipts(event_id, receipts)
        result = check.verification
        if result.valid:
            self.stdout.write(f"{reference}: chain ok ({result.entries} entries)")
        else:
            self.stdout.write(self.style.ERROR(
                f"{reference}: chain BROKEN at seq {result.first_bad_seq} "
                f"({result.entries} entries)"))
        for outcome in check.results:
            line = f"{reference}: {describe(outcome)}"
            self.stdout.write(line if outcome.holds else self.style.ERROR(line))
        if not check.valid:
            raise CommandError(f"{reference}: the log does not hold what was recorded "
                               f"(first bad seq {check.first_bad_seq}).", returncode=1)
