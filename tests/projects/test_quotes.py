"""Custom projects: staff quote, the responsible contact accepts (K2: an order and its
invoice through the billing services; K9: the acknowledgement), exactly once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from core import clock
from customers.models import Role
from invoices.models import Invoice
from orders.models import Order
from orders.services import AUP_VERSION, OrderBlocked
from projects import services
from projects.models import CustomProject
from tests.concurrency import at_once
from tests.factories import ContactFactory
from tests.projects.conftest import client_for


def _accept(client, project, **data):
    return client.post(
        reverse("projects:accept", args=[project.pk]),
        {"accept_aup": "on", "revision": project.quote_revision, **data},
    )


def test_quote_is_mailed_after_commit_in_the_contacts_language(
    project, staff_user, contact, monkeypatch, django_capture_on_commit_callbacks
):
    """The staff member works in Indonesian; the contact reads English."""
    sent = []
    monkeypatch.setattr("projects.tasks.send_templated_mail", lambda **kw: sent.append(kw))
    with (
        translation.override("id"),
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        services.project_quote(
            project=project,
            staff=staff_user,
            price=Decimal("5000000"),
            delivery_date=clock.today() + timedelta(days=20),
        )
    assert sent == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert [(m["to"], m["language"], m["template"]) for m in sent] == [
        ([contact.user.email], "en", "projects/email/quoted")
    ]


def test_quote_mail_names_the_price_and_the_date_in_plain_text(
    project, staff_user, contact, django_capture_on_commit_callbacks
):
    CustomProject.objects.filter(pk=project.pk).update(title="Batik & Sari's shop")
    with django_capture_on_commit_callbacks(execute=True):
        quoted = services.project_quote(
            project=project,
            staff=staff_user,
            price=Decimal("7500000"),
            delivery_date=clock.today() + timedelta(days=20),
            note="Two rounds of revisions.",
        )
    message = mail.outbox[-1]
    assert message.to == [contact.user.email]
    assert "Batik & Sari's shop" in message.subject  # plain text: not HTML-escaped
    assert "Batik & Sari's shop" in message.body
    assert "Rp 7.500.000" in message.body
    assert "Two rounds of revisions." in message.body
    assert reverse("projects:detail", args=[quoted.pk]) in message.body


def test_k2_k9_accepting_the_quote_orders_it_with_an_invoice_of_price_plus_ppn(
    quoted, verified, bank, django_capture_on_commit_callbacks
):
    client = client_for(verified)
    page = client.get(reverse("projects:detail", args=[quoted.pk])).content.decode()
    assert "Rp 10.000.000" in page and "Rp 11.100.000" in page  # price, and with PPN
    assert 'name="accept_aup"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = _accept(client, quoted, quoted_price="1")  # a forged price is ignored
    project = CustomProject.objects.get()
    invoice = Invoice.objects.get()
    assert response["Location"] == reverse("invoices:detail", args=[invoice.pk])
    assert project.status == CustomProject.Status.ACCEPTED
    assert project.estimated_delivery_date == project.quoted_delivery_date
    order = Order.objects.get()
    assert project.order == order and invoice.order == order
    assert (order.placed_by, order.aup_version, order.aup_ip_address) == (
        verified.user,
        AUP_VERSION,
        "127.0.0.1",
    )
    assert order.aup_accepted_at == project.accepted_at
    assert invoice.subtotal == Decimal("10000000.00")
    assert invoice.ppn_amount == Decimal("1100000.00")
    assert invoice.total == Decimal("11100000.00")
    assert invoice.lines.get().description == "Custom project: Toko Batik Sari"
    assert invoice.status == Invoice.Status.UNPAID
    # The invoice goes to the responsible contact, and staff hear of the acceptance.
    recipients = [message.to for message in mail.outbox]
    assert [verified.user.email] in recipients
    assert any(invoice.number in message.subject for message in mail.outbox)
    record = project.history.first()
    assert (record.history_user, record.status) == (verified.user, "accepted")
    detail = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert invoice.number in detail and 'name="accept_aup"' not in detail


def test_k9_accepting_without_the_acknowledgement_is_refused(quoted, verified, bank):
    client = client_for(verified)
    response = client.post(
        reverse("projects:accept", args=[quoted.pk]), {"revision": quoted.quote_revision}
    )
    assert response.status_code == 200
    assert "accept_aup" in response.context["form"].errors
    assert not Order.objects.exists() and not Invoice.objects.exists()
    with pytest.raises(ValidationError):
        services.project_accept_quote(
            project=quoted,
            accepted_by=verified.user,
            revision=quoted.quote_revision,
            aup_accepted=False,
            ip_address=None,
        )


def test_a_quote_is_accepted_once(accepted, verified):
    with pytest.raises(ValidationError, match="no longer be accepted"):
        services.project_accept_quote(
            project=accepted,
            accepted_by=verified.user,
            revision=accepted.quote_revision,
            aup_accepted=True,
            ip_address=None,
        )
    client = client_for(verified)
    response = _accept(client, accepted)
    assert response.status_code == 302
    assert Order.objects.count() == 1 and Invoice.objects.count() == 1


def test_a_revised_quote_must_be_read_before_it_is_accepted(quoted, verified, staff_user, bank):
    client = client_for(verified)
    read_revision = quoted.quote_revision
    services.project_quote(
        project=quoted,
        staff=staff_user,
        price=Decimal("12000000"),
        delivery_date=clock.today() + timedelta(days=40),
    )
    response = client.post(
        reverse("projects:accept", args=[quoted.pk]),
        {"accept_aup": "on", "revision": read_revision},
        follow=True,
    )
    assert "revised this quote" in response.content.decode()
    assert not Order.objects.exists()
    quoted.refresh_from_db()
    _accept(client, quoted)
    assert Invoice.objects.get().subtotal == Decimal("12000000.00")


def test_k2_an_account_that_may_not_order_yet_cannot_accept(quoted, customer_client, contact):
    """No identity documents yet: the same gate as the checkout applies."""
    page = customer_client.get(reverse("projects:detail", args=[quoted.pk])).content.decode()
    assert 'data-testid="order-blocked"' in page and 'data-step="identity"' in page
    assert 'name="accept_aup"' not in page
    _accept(customer_client, quoted)
    with pytest.raises(OrderBlocked):
        services.project_accept_quote(
            project=quoted,
            accepted_by=contact.user,
            revision=quoted.quote_revision,
            aup_accepted=True,
            ip_address=None,
        )
    assert not Order.objects.exists()


@pytest.mark.parametrize("role", [Role.BILLING, Role.TECHNICAL])
def test_k7_only_the_responsible_contact_accepts_a_quote(quoted, verified, terms, bank, role):
    limited = ContactFactory(customer=verified.customer, role=role, accepted_terms=terms)
    client = client_for(limited)
    page = client.get(reverse("projects:detail", args=[quoted.pk])).content.decode()
    assert "Only the account's responsible contact can accept" in page
    assert 'name="accept_aup"' not in page
    assert _accept(client, quoted).status_code == 403
    assert client.post(reverse("projects:cancel", args=[quoted.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        services.project_accept_quote(
            project=quoted,
            accepted_by=limited.user,
            revision=quoted.quote_revision,
            aup_accepted=True,
            ip_address=None,
        )
    assert not Order.objects.exists()


def test_the_technical_contact_sees_the_project_but_not_its_invoice(accepted, verified, terms):
    technical = ContactFactory(
        customer=verified.customer, role=Role.TECHNICAL, accepted_terms=terms
    )
    page = client_for(technical).get(reverse("projects:detail", args=[accepted.pk]))
    assert page.status_code == 200
    assert 'data-testid="project-invoice"' not in page.content.decode()
    billing = ContactFactory(customer=verified.customer, role=Role.BILLING, accepted_terms=terms)
    page = client_for(billing).get(reverse("projects:detail", args=[accepted.pk]))
    assert 'data-testid="project-invoice"' in page.content.decode()


def test_customers_cannot_take_staff_decisions(quoted, contact):
    """Partners, not kings: a customer cannot quote, start, reject or deliver."""
    with pytest.raises(PermissionDenied):
        services.project_quote(
            project=quoted,
            staff=contact.user,
            price=Decimal("1"),
            delivery_date=clock.today() + timedelta(days=1),
        )
    for action in (services.project_start, services.project_deliver):
        with pytest.raises(PermissionDenied):
            action(project=quoted, staff=contact.user)
    with pytest.raises(PermissionDenied):
        services.project_reject(project=quoted, staff=contact.user, reason="no")
    quoted.refresh_from_db()
    assert quoted.quoted_price == Decimal("10000000.00")


def test_a_quote_needs_a_positive_price_and_a_future_date(project, staff_user):
    with pytest.raises(ValidationError) as error:
        services.project_quote(
            project=project, staff=staff_user, price=Decimal("0"), delivery_date=clock.today()
        )
    assert "quoted_price" in error.value.error_dict
    with pytest.raises(ValidationError) as error:
        services.project_quote(
            project=project, staff=staff_user, price=Decimal("10"), delivery_date=clock.today()
        )
    assert "quoted_delivery_date" in error.value.error_dict


def test_every_decision_is_audited_with_actor_and_reason(
    project, staff_user, verified, bank, contact
):
    services.project_quote(
        project=project,
        staff=staff_user,
        price=Decimal("1000000"),
        delivery_date=clock.today() + timedelta(days=10),
    )
    project.refresh_from_db()
    services.project_accept_quote(
        project=project,
        accepted_by=contact.user,
        revision=project.quote_revision,
        aup_accepted=True,
        ip_address=None,
    )
    services.project_start(project=project, staff=staff_user)
    services.scope_change_record(
        project=project,
        staff=staff_user,
        requested_by=contact.user,
        description="Add a blog section with categories.",
        extra_days=5,
    )
    services.project_deliver(project=project, staff=staff_user)
    rows = list(project.history.order_by("history_date", "history_id"))
    trail = [(row.status, row.history_user, row.history_change_reason) for row in rows]
    assert [(status, user) for status, user, _reason in trail] == [
        ("submitted", contact.user),
        ("quoted", staff_user),
        ("accepted", contact.user),
        ("in_progress", staff_user),
        ("in_progress", staff_user),
        ("delivered", staff_user),
    ]
    reasons = [reason for _status, _user, reason in trail]
    assert reasons[0] == "project requested"
    assert reasons[1].startswith("quoted: 1000000.00")
    assert reasons[2].startswith("quote accepted, order ")
    assert reasons[3] == "work started"
    assert reasons[4].startswith("scope change ") and contact.user.email in reasons[4]
    assert reasons[5] == "delivered"
    assert all(row.history_date for row in rows)


def test_rejection_needs_a_reason_that_is_mailed_and_shown(
    project, staff_user, customer_client, django_capture_on_commit_callbacks
):
    with pytest.raises(ValidationError):
        services.project_reject(project=project, staff=staff_user, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        services.project_reject(
            project=project, staff=staff_user, reason="We do not build mobile games."
        )
    assert "We do not build mobile games." in mail.outbox[-1].body
    page = customer_client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert "We do not build mobile games." in page
    record = project.history.first()
    assert (record.history_user, record.status) == (staff_user, "rejected")
    with pytest.raises(ValidationError):
        services.project_quote(
            project=project,
            staff=staff_user,
            price=Decimal("1"),
            delivery_date=clock.today() + timedelta(days=3),
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_acceptances_at_once_order_the_project_once(terms):
    from customers.models import IdentityDocument, User
    from tests.factories import BankAccountFactory, IdentityDocumentFactory
    from tests.projects.conftest import request_data

    contact = ContactFactory(accepted_terms=terms)
    IdentityDocumentFactory(
        customer=contact.customer,
        uploaded_by=contact.user,
        status=IdentityDocument.Status.VERIFIED,
    )
    BankAccountFactory()
    staff = User.objects.create_superuser("quote@masternet.test", "x")
    project = services.project_submit(
        customer=contact.customer, requested_by=contact.user, **request_data()
    )
    project = services.project_quote(
        project=project,
        staff=staff,
        price=Decimal("2000000"),
        delivery_date=clock.today() + timedelta(days=10),
    )

    def accept():
        return services.project_accept_quote(
            project=project,
            accepted_by=contact.user,
            revision=project.quote_revision,
            aup_accepted=True,
            ip_address=None,
        )

    outcomes = at_once(accept, accept)
    assert sum(isinstance(o, CustomProject) for o in outcomes) == 1
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
    assert Order.objects.count() == 1 and Invoice.objects.count() == 1
