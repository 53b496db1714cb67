"""Who may open the unit's desk. Asked by name: ``user.has_perm("desk.view_desk")``."""

import rules

from coordination.parties import is_official

# Police and city, who see every demonstration.
rules.add_perm("desk.view_desk", is_official)
