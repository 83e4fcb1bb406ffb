"""Staff screens for the policy's requests. Every action and every save calls a
service; approving a request that missed the 30-day rule needs an override reason
(K4, K5), and so does entering a late one for a customer: staff can set the rule
aside, always with a reason that is recorded; customers cannot.

- ``requests``: payment deferrals (K4) and service changes (K5);
- ``technical``: technical changes (H4) and migrations (H5);
- ``base`` and ``forms``: what they share, and the staff forms.
"""

from policy.admin import requests, technical

__all__ = ["requests", "technical"]
