"""Format checks on Indonesian identity numbers (K8). Pure: no database."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.id import nik as stdnum_nik
from stdnum.id import npwp as stdnum_npwp

_DIGITS = re.compile(r"\D")


def digits_only(value: str) -> str:
    return _DIGITS.sub("", value or "")


def _is_birth_date(ddmmyy: str) -> bool:
    """DDMMYY (day + 40 for women) is a real date in the 1900s or the 2000s."""
    day, month, year = int(ddmmyy[:2]), int(ddmmyy[2:4]), int(ddmmyy[4:])
    if day > 40:
        day -= 40
    for century in (1900, 2000):
        try:
            date(century + year, month, day)
        except ValueError:
            continue
        return True
    return False


def validate_nik(value: str) -> None:
    """K8: a NIK is 16 digits: province, regency and district codes, then the birth
    date DDMMYY (day + 40 for women), then a serial that is not 0000.

    python-stdnum knows the province codes; the length, birth date, regency/district
    and serial checks are ours. (django-localflavor's NIK field checks the date with
    ``time.mktime`` in the server's time zone, which refuses a date whose midnight did
    not exist there: 23 March 1942 in Asia/Jakarta.)
    """
    number = digits_only(value)
    if len(number) != 16:
        raise ValidationError(
            _("A NIK has exactly 16 digits; this one has %(count)d.") % {"count": len(number)},
            code="nik_length",
        )
    if number[12:] == "0000":
        raise ValidationError(_("The last four digits of a NIK are never 0000."), code="nik_serial")
    if not _is_birth_date(number[6:12]):
        raise ValidationError(
            _(
                "Digits 7 to 12 of a NIK are the birth date (DDMMYY, women add 40 to the day);"
                " in this NIK they are not a real date."
            ),
            code="nik_birth_date",
        )
    try:
        stdnum_nik.validate(number)
    except stdnum_errors.ValidationError as exc:
        raise ValidationError(
            _("The first two digits of a NIK are a province code; %(code)s is not one.")
            % {"code": number[:2]},
            code="nik_province",
        ) from exc
    if number[2:4] == "00" or number[4:6] == "00":
        raise ValidationError(
            _("Digits 3 to 6 of a NIK are the regency and district codes; 00 is not a valid code."),
            code="nik_region",
        )


def validate_npwp(value: str) -> None:
    """K8: an NPWP (tax number) has 15 digits (old format, with a check digit) or 16
    digits (the NIK-based format since 2024)."""
    number = digits_only(value)
    if len(number) not in (15, 16):
        raise ValidationError(
            _("An NPWP has 15 or 16 digits; this one has %(count)d.") % {"count": len(number)},
            code="npwp_length",
        )
    if len(number) == 15:
        try:
            stdnum_npwp.validate(number)
        except stdnum_errors.ValidationError as exc:
            raise ValidationError(
                _("This NPWP's check digit does not match. Copy it again from the NPWP card."),
                code="npwp_checksum",
            ) from exc


def validate_nib(value: str) -> None:
    """K8: an NIB (Nomor Induk Berusaha, business registration) has 13 digits."""
    number = digits_only(value)
    if len(number) != 13:
        raise ValidationError(
            _("An NIB has exactly 13 digits; this one has %(count)d.") % {"count": len(number)},
            code="nib_length",
        )


_PASSPORT = re.compile(r"^[A-Z0-9]{6,9}$")


def validate_passport(value: str) -> None:
    """K8: a passport number is 6 to 9 letters and digits."""
    if not _PASSPORT.match((value or "").strip().upper()):
        raise ValidationError(
            _("A passport number is 6 to 9 letters and digits, without spaces."),
            code="passport_format",
        )
