"""K8: identity numbers are checked by their format before staff ever see them."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from customers.validators import validate_nib, validate_nik, validate_npwp, validate_passport
from tests.factories import VALID_NIK, VALID_NIK_WOMAN


@pytest.mark.parametrize(
    "nik",
    [VALID_NIK, VALID_NIK_WOMAN, "3273 0117 0885 0001", "32.7301.170885.0001", "3171012902000001"],
)
def test_k8_valid_nik(nik):
    validate_nik(nik)


@pytest.mark.parametrize(
    ("nik", "code"),
    [
        ("327301170885000", "nik_length"),  # 15 digits
        ("32730117088500011", "nik_length"),  # 17 digits
        ("3273013208850001", "nik_birth_date"),  # day 32
        ("3273017208850001", "nik_birth_date"),  # woman's day 72 - 40 = 32
        ("3273013102850001", "nik_birth_date"),  # 31 February
        ("3273011713850001", "nik_birth_date"),  # month 13
        ("9973011708850001", "nik_province"),  # province 99 does not exist
        ("3200011708850001", "nik_region"),  # regency 00
        ("3273001708850001", "nik_region"),  # district 00
        ("3273011708850000", "nik_serial"),
    ],
)
def test_k8_invalid_nik_names_the_problem(nik, code):
    with pytest.raises(ValidationError) as error:
        validate_nik(nik)
    assert error.value.code == code


@given(
    birth=st.dates(min_value=date(1930, 1, 1), max_value=date.today() - timedelta(days=6000)),
    woman=st.booleans(),
    serial=st.integers(min_value=1, max_value=9999),
)
def test_k8_every_real_birth_date_makes_a_valid_nik(birth, woman, serial):
    day = birth.day + (40 if woman else 0)
    nik = f"327301{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"
    validate_nik(nik)


@pytest.mark.parametrize("npwp", ["013000666091000", "01.300.066.6-091.000", "3273011708850001"])
def test_k8_valid_npwp(npwp):
    validate_npwp(npwp)


@pytest.mark.parametrize(
    ("npwp", "code"),
    [("01300066609100", "npwp_length"), ("013000676091000", "npwp_checksum"), ("", "npwp_length")],
)
def test_k8_invalid_npwp(npwp, code):
    with pytest.raises(ValidationError) as error:
        validate_npwp(npwp)
    assert error.value.code == code


def test_k8_nib_has_13_digits():
    validate_nib("9120001234567")
    with pytest.raises(ValidationError):
        validate_nib("912000123456")


@pytest.mark.parametrize(
    ("number", "ok"), [("X1234567", True), ("AB12", False), ("A 123456", False)]
)
def test_k8_passport_format(number, ok):
    if ok:
        validate_passport(number)
    else:
        with pytest.raises(ValidationError):
            validate_passport(number)


def test_k8_a_birth_date_whose_midnight_jakarta_skipped_is_valid():
    """Jakarta's clocks jumped at midnight on 23 March 1942; the date is still real."""
    validate_nik("3273012303420001")
    validate_nik("3273016303420001")  # a woman: day + 40
