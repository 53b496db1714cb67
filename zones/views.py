"""Pages of the map: the printable briefing sheet.

Thin views: the reads are ``zones.selectors``, the PDF is drawn by ``zones.briefing``, and
every permission is asked by name.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from events.selectors import get_event_for
from zones import selectors
from zones.briefing import BRIEFING_STATES, render_briefing


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
