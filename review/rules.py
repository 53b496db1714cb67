"""Who may do what in the after-action review. Asked by name:
``user.has_perm("review.review_event", event)``.

City staff review any demonstration they see (a demonstration that is not concluded yet is
shown "as recorded so far", with a notice); reviewers only concluded ones. Reviewer notes are
lessons learned, so they are written only once the demonstration is concluded.
"""

import rules

from coordination.parties import is_city, is_reviewer
from events.models import Event


@rules.predicate
def is_concluded_event(user, event) -> bool:
    return event is not None and getattr(event, "state", None) == Event.State.CONCLUDED


rules.add_perm("review.review_event", is_city | (is_reviewer & is_concluded_event))
rules.add_perm("review.add_reviewer_note",
               (is_city | is_reviewer) & is_concluded_event)
