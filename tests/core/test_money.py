from decimal import Decimal

import pytest

from core.templatetags.money import rupiah


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("1234567"), "Rp 1.234.567"),
        (Decimal("1234567.50"), "Rp 1.234.567,50"),
        (Decimal("0"), "Rp 0"),
        (Decimal("999"), "Rp 999"),
        (Decimal("-15000"), "Rp -15.000"),
        ("250000.00", "Rp 250.000"),
        (None, ""),
    ],
)
def test_rupiah(amount, text):
    assert rupiah(amount) == text
