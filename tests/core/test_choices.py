"""The list pages' status labels (core.choices) read as Django's own get_FOO_display."""

import pytest
from django.db.models import Model
from django.utils import translation

from core.choices import choice_display
from invoices.models import Invoice
from tickets.models import Ticket


def django_display(instance, field_name):
    """Django's get_FOO_display(), which the models override."""
    return Model._get_FIELD_display(instance, instance._meta.get_field(field_name))


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize(
    "instance",
    [Invoice(status=value) for value in Invoice.Status.values]
    + [Ticket(status=value) for value in Ticket.Status.values],
    ids=lambda instance: f"{type(instance).__name__}-{instance.status}",
)
def test_status_label_is_djangos_in_each_language(instance, language):
    with translation.override(language):
        assert instance.get_status_display() == django_display(instance, "status")
        assert instance.get_status_display() == str(type(instance).Status(instance.status).label)


def test_status_label_is_translated():
    with translation.override("id"):
        assert Invoice(status=Invoice.Status.PAID).get_status_display() == "Lunas"
    with translation.override("en"):
        assert Invoice(status=Invoice.Status.PAID).get_status_display() == "Paid"


def test_a_value_outside_the_choices_is_shown_as_it_is():
    invoice = Invoice(status="unknown")
    assert choice_display(invoice, "status") == "unknown" == django_display(invoice, "status")
