"""The page "What Parley records about your event", for the demonstration's organisers (and
city staff): what is kept, who sees what, and for how long (docs/privacy.md).

Anyone who cannot see the demonstration gets 404; anyone who sees it but is not one of its
organisers or city staff (police, reviewers) gets 403.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from events.selectors import get_event_for
from privacy.selectors import records_of


@never_cache  # it carries contact details: no shared or stale copies
@login_required
def event_privacy(request, pk):
    """What Parley records about one demonstration, in plain language."""
    event = get_event_for(request.user, pk)
    if not request.user.has_perm("events.view_event_records", event):
        raise PermissionDenied(_("This page is for the demonstration's organisers."))
    return render(request, "privacy/event_privacy.html",
                  {"event": event, "records": records_of(event, reader=request.user)})
