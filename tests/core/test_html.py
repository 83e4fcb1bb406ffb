"""core.html gives the HTML that Django's format_html and format_html_join give."""

import pytest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy, override

from core.html import format_row, format_rows

VALUES = [
    "plain",
    "<script>alert('x')</script> & \"quoted\"",
    mark_safe("<b>already HTML</b>"),
    gettext_lazy("Outside warranty"),
    gettext_lazy("<i>lazy</i> & more"),
    42,
    None,
    "Pak O'Brien",
]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("language", ["id", "en"])
def test_one_value_as_format_html(value, language):
    with override(language):
        ours = format_row('<td title="{}">{}</td>', value, value)
        assert ours == format_html('<td title="{}">{}</td>', value, value)
    assert isinstance(ours, SafeString)


def test_rows_as_format_html_join():
    rows = [(value, index) for index, value in enumerate(VALUES)]
    ours = format_rows("<tr><td>{}</td><td>{}</td></tr>", rows)
    assert ours == format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", rows)
    assert isinstance(ours, SafeString)
    assert format_rows("<tr>{}</tr>", []) == ""
