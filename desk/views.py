"""The desk page (``/desk/``): a thin view over ``desk.selectors``.

``?partial=1`` answers only the sections, which the page's script (static/desk/
desk.js) fetches again when the desk's WebSocket says something changed.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from desk.selectors import desk_of, waiting_for


@never_cache  # always as it is now: the page refreshes itself from this
@login_required
def desk(request):
    """Today's and the coming weeks' demonstrations, what waits for review, clashes and
    live demonstrations, for police and city."""
    if not request.user.has_perm("desk.view_desk"):
        raise PermissionDenied(_("The desk is for police and city officials."))
    template = ("desk/_desk_sections.html" if request.GET.get("partial") == "1"
                else "desk/desk.html")
    return render(request, template, {"desk": desk_of(request.user)})


@never_cache  # always as it is now: the organisers' list refreshes itself from this
@login_required
def waiting(request):
    """Only the "Waiting for you" section, for whoever is logged in: each of its selectors
    reads the reader's own demonstrations only (static/desk/waiting.js fetches it)."""
    return render(request, "desk/_waiting.html", {"waiting": waiting_for(request.user)})
