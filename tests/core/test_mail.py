"""Plain-text e-mail keeps what people typed: no HTML escaping."""

from django.core import mail

from customers.tasks import send_revalidation_request


def test_plain_text_mail_is_not_html_escaped(customer, django_capture_on_commit_callbacks):
    customer.revalidation_reason = "Nama O'Neil & Co <berbeda>"
    customer.save()
    send_revalidation_request(customer.pk)
    assert "Nama O'Neil & Co <berbeda>" in mail.outbox[-1].body
