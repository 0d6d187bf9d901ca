"""Staff roles: the one list every staff feature and flow audience names."""

from __future__ import annotations

#: every staff role, in the order the docs list them
STAFF_ROLES = ("admin", "health_officer", "reviewer", "community_worker", "store_staff",
               "auditor", "operator")
