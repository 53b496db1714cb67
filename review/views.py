"""Pages of the after-action review: the timeline with reviewer notes, and the replay.

Thin views over ``review.timeline`` (reads) and ``review.services``
(writes). Who may open them: ``review.review_event`` (review/rules.py). Anyone
who cannot see the demonstration gets 404; anyone who sees it but does not review (its
organisers, police) gets 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from coordination.log import check_receipts, verify_event_log
from events.models import Event
from events.selectors import get_event_for
from review import timeline
from review.forms import ReceiptCheckForm, ReviewerNoteForm, TimelineFilterForm
from review.services import add_reviewer_note

#: Entries per page of the timeline.
PER_PAGE = 100


def _event_to_review(user, pk) -> Event:
    event = get_event_for(user, pk)  # 404 for those who cannot see it
    if not user.has_perm("review.review_event", event):
        raise PermissionDenied(_("The after-action review is for city staff and reviewers."))
    return event


def _export_links(event: Event) -> list[tuple[str, str]]:
    base = reverse("api:event-log-export", args=[event.pk]) + "?format="
    return [("csv", base + "csv"), ("jsonl", base + "jsonl"), ("pdf", base + "pdf")]


def _review_page(request, event: Event, *, note_form: ReviewerNoteForm, status: int = 200):
    form = TimelineFilterForm(request.GET)
    entries = timeline.timeline_entries(event, **form.filters())
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    receipt_form = ReceiptCheckForm(request.GET if "receipts" in request.GET else None)
    receipt_check = (check_receipts(event.pk, receipt_form.cleaned_data["receipts"])
                     if receipt_form.is_valid() else None)
    return render(request, "review/review.html", {
        "event": event,
        "form": form,
        "filtered": any(request.GET.get(name) for name in form.fields),
        "page": page,
        "rows": timeline.timeline_rows(event, page.object_list),
        "query": query.urlencode(),
        "key_moments": timeline.key_moments(event, per_page=PER_PAGE),
        "per_page": PER_PAGE,
        # Checking receipts verifies the whole chain too: no need to do it twice.
        "verification": (receipt_check.verification if receipt_check
                         else verify_event_log(event.pk)),
        "receipt_form": receipt_form,
        "receipt_check": receipt_check,
        "exports": _export_links(event),
        "notes": timeline.reviewer_notes(event),
        "note_form": note_form,
        "can_add_note": request.user.has_perm("review.add_reviewer_note", event),
        "concluded": event.state == Event.State.CONCLUDED,
    }, status=status)


@never_cache
@login_required
def review_event(request, pk):
    """The full timeline of a demonstration, filtered, with its key moments on top."""
    event = _event_to_review(request.user, pk)
    return _review_page(request, event, note_form=ReviewerNoteForm())


@require_POST
@login_required
def add_note(request, pk):
    event = _event_to_review(request.user, pk)
    if not request.user.has_perm("review.add_reviewer_note", event):
        raise PermissionDenied(_("Notes are written once the demonstration is concluded."))
    form = ReviewerNoteForm(request.POST)
    if form.is_valid():
        try:
            add_reviewer_note(event=event, author=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your note is saved."))
            return redirect(reverse("review:review", args=[event.pk]) + "#notes")
    return _review_page(request, event, note_form=form, status=400)


@login_required
def replay_event(request, pk):
    """The map and the channel as they stood at any moment, moved with a slider."""
    event = _event_to_review(request.user, pk)
    return render(request, "review/replay.html", {
        "event": event,
        "replay": {"history_url": reverse("api:event-replay", args=[event.pk])},
        "concluded": event.state == Event.State.CONCLUDED,
    })
