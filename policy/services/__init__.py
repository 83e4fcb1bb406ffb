"""Every state change of the policy's requests (K4, K5, H4, H5).

Customers are held to the 30-day notice rule; staff may set it aside, only with an
override reason that is recorded in the audit.

- ``requests``: payment deferrals (K4) and service changes (K5), submitted and decided;
- ``invoicing``: what an approved change does to invoices already issued (K5);
- ``technical``: technical changes (H4) and free migrations (H5).
"""

from policy.services.invoicing import prorated_difference
from policy.services.requests import (
    TooLate,
    apply_deferral,
    deferral_decide,
    deferral_submit,
    deferral_window,
    offered_due_date,
    request_period,
    service_change_decide,
    service_change_submit,
)
from policy.services.technical import (
    migration_blocker,
    migration_set_status,
    migration_submit,
    technical_change_decide,
    technical_change_done,
    technical_change_submit,
)

__all__ = [
    "TooLate",
    "apply_deferral",
    "deferral_decide",
    "deferral_submit",
    "deferral_window",
    "migration_blocker",
    "migration_set_status",
    "migration_submit",
    "offered_due_date",
    "prorated_difference",
    "request_period",
    "service_change_decide",
    "service_change_submit",
    "technical_change_decide",
    "technical_change_done",
    "technical_change_submit",
]
