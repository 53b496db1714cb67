"""Who may do what in the after-action review. Asked by name:
``user.has_perm("coordination.review_event", event)``.

City staff review any demonstration they see (a demonstration that is not concluded yet is
shown "as recorded so far", with a notice); reviewers only concluded ones. Reviewer notes are
lessons learned, so they are written only once the demonstration is concluded.
"""

import rules

from coordination.parties import is_city, is_official, is_reviewer


@rules.predicate
def is_concluded_event(user, event) -> bool:
    # The state's value, not events.models: the core imports no app.
    return event is not None and getattr(event, "state", None) == "concluded"


rules.add_perm("coordination.review_event", is_city | (is_reviewer & is_concluded_event))
rules.add_perm("coordination.add_reviewer_note",
               (is_city | is_reviewer) & is_concluded_event)

# The unit's desk (coordination/desk.py): police and city, who see every demonstration.
rules.add_perm("coordination.view_desk", is_official)
