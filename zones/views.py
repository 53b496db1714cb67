"""Pages of the map: the city-wide map and the printable briefing sheet.

Thin views: the reads are ``zones.city_map`` and ``zones.selectors``, the PDF is drawn by
``zones.briefing``, and every permission is asked by name.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from events.selectors import get_event_for
from zones import selectors
from zones.briefing import BRIEFING_STATES, render_briefing
from zones.city_map import page_config


@login_required
def city_map(request):
    """Every demonstration and zone in force at a chosen moment, for police and city."""
    if not request.user.has_perm("zones.view_city_map"):
        raise PermissionDenied(_("The city-wide map is for police and city officials."))
    # ?at= lets a link open the map at a moment; anything unreadable means now.
    at = parse_datetime(request.GET.get("at", "")) if request.GET.get("at") else None
    if at is None or timezone.is_naive(at):
        at = timezone.now()
    return render(request, "zones/city_map.html",
                  {"city_map": page_config(request.user, at)})


@never_cache  # it carries contact details: no shared or stale copies
@login_required
def briefing_pdf(request, pk):
    """The briefing sheet (PDF) of an agreed or live demonstration, for whoever sees it."""
    event = get_event_for(request.user, pk)
    if event.state not in BRIEFING_STATES:
        return render(request, "zones/briefing_unavailable.html", {"event": event},
                      status=409)
    pdf = render_briefing(selectors.briefing_of(event, reader=request.user))
    return HttpResponse(pdf, content_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{event.reference}-briefing.pdf"',
    })
