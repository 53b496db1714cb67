"""City staff keep the standard instructions: list, add, edit (deactivate by unticking
"active": instructions already sent keep their texts)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from messaging import selectors, services
from messaging.forms import StandardInstructionForm
from messaging.models import StandardInstruction


def _ensure_may_manage(user) -> None:
    if not user.has_perm("messaging.manage_standard_instructions"):
        raise PermissionDenied(_("Only city staff keep the standard instructions."))


@login_required
def instruction_list(request):
    _ensure_may_manage(request.user)
    return render(request, "messaging/instruction_list.html", {
        "instructions": selectors.standard_instructions(include_inactive=True),
    })


@login_required
def instruction_form(request, pk: int | None = None):
    _ensure_may_manage(request.user)
    instruction = get_object_or_404(StandardInstruction, pk=pk) if pk else StandardInstruction()
    form = StandardInstructionForm(request.POST or None, instance=instruction)
    if request.method == "POST" and form.is_valid():
        services.save_standard_instruction(form.instance)
        messages.success(request, _("The standard instruction is saved."))
        return redirect("messaging:instructions")
    return render(request, "messaging/instruction_form.html",
                  {"form": form, "instruction": instruction if pk else None})
