"""Fixtures of the policy's requests: a monthly hosting service on a travelled clock."""

from datetime import date

import pytest

from orders.models import Service
from tests.policy.helpers import at, pay


@pytest.fixture
def service(place, verified, staff_user):
    """A monthly hosting service activated on 1 November 2026: its invoices come on
    the 18th, 14 days before each period starting on the 1st."""
    with at(date(2026, 11, 1)):
        pay(place(), by=verified.user, staff=staff_user, day=date(2026, 11, 1))
    return Service.objects.get()
