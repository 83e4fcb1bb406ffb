"""H2 entitlement per product, H7 warranty marking and K10 category requirements."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from orders.models import Department, Priority
from tests.factories import ContactFactory, PlanFactory, ProductFactory, ServiceFactory
from tickets import selectors, services
from tickets.models import Category, Ticket
from tickets.rules import (
    entitlement_from,
    support_status,
    ticket_terms,
    validate_ticket_details,
)

TODAY = date(2026, 3, 10)


def _details(category, **overrides):
    values = {
        "subject": "Website shows error 500",
        "description": "Every page of the shop shows error 500 since this morning at eight.",
        "today": TODAY,
        "domain_name": "tokosaya.co.id",
        "error_message": "500 Internal Server Error",
        "steps_taken": "Cleared the cache and restarted the browser.",
        "started_on": TODAY,
    }
    return validate_ticket_details(category=category, **{**values, **overrides})


# --- H2: entitlement per product ----------------------------------------------------


def test_h2_without_active_services_only_billing_and_general_questions():
    entitlement = entitlement_from([])
    assert entitlement.categories == [Category.BILLING, Category.OTHER]
    assert entitlement.priority == Priority.NORMAL


def test_h2_a_domain_only_customer_gets_no_hosting_department(domain_service):
    entitlement = selectors.entitlement_for(customer=domain_service.customer)
    assert Department.DOMAINS in entitlement.departments
    assert Department.HOSTING not in entitlement.departments
    assert not entitlement.allows(Category.TECHNICAL)
    assert entitlement.allows(Category.DOMAIN)


def test_h2_only_active_services_entitle(contact):
    ServiceFactory(customer=contact.customer, status="suspended")
    ServiceFactory(customer=contact.customer, status="pending")
    assert not selectors.entitlement_for(customer=contact.customer).allows(Category.TECHNICAL)


def test_h2_a_premium_product_gets_a_higher_priority_and_a_shorter_target(contact):
    basic = ServiceFactory(customer=contact.customer, product__support_priority=Priority.NORMAL)
    premium = ServiceFactory(customer=contact.customer, product__support_priority=Priority.HIGH)
    entitlement = selectors.entitlement_for(customer=contact.customer)
    assert entitlement.priority == Priority.HIGH
    basic_terms = ticket_terms(
        category=Category.TECHNICAL,
        status=support_status(basic, today=TODAY),
        entitlement=entitlement,
    )
    premium_terms = ticket_terms(
        category=Category.TECHNICAL,
        status=support_status(premium, today=TODAY),
        entitlement=entitlement,
    )
    assert (basic_terms.priority, premium_terms.priority) == (Priority.NORMAL, Priority.HIGH)
    assert premium_terms.response_hours < basic_terms.response_hours
    # Without a service, an account question takes the account's best priority.
    account = ticket_terms(category=Category.BILLING, status=None, entitlement=entitlement)
    assert (account.department, account.priority) == (Department.BILLING, Priority.HIGH)


def test_h2_a_premium_plan_of_the_same_product_gets_a_higher_priority(contact, open_ticket):
    """H2: the entitlement follows the active services' plans: a plan's support
    priority overrides its product's; a plan without one keeps the product's."""
    product = ProductFactory(support_department=Department.HOSTING, support_priority=Priority.LOW)
    basic_plan = PlanFactory(product=product, name="Basic")
    premium_plan = PlanFactory(product=product, name="Premium", support_priority=Priority.URGENT)
    basic = ServiceFactory(customer=contact.customer, product=product, plan=basic_plan)
    assert selectors.entitlement_for(customer=contact.customer).priority == Priority.NORMAL
    assert open_ticket(basic).priority == Priority.LOW
    premium = ServiceFactory(customer=contact.customer, product=product, plan=premium_plan)
    entitlement = selectors.entitlement_for(customer=contact.customer)
    assert entitlement.priority == Priority.URGENT
    assert support_status(premium, today=TODAY).priority == Priority.URGENT
    assert support_status(basic, today=TODAY).priority == Priority.LOW
    ticket = open_ticket(premium)
    assert ticket.priority == Priority.URGENT
    assert ticket.response_due_at <= timezone.now() + timedelta(hours=4)
    account = open_ticket(None, category=Category.BILLING)
    assert account.priority == Priority.URGENT
    # The statuses shown before typing name the plan's priority, not the product's.
    statuses = {s.service: s for s in selectors.support_statuses_for(customer=contact.customer)}
    assert statuses[premium].priority == Priority.URGENT
    assert statuses[premium].priority_label == Priority.URGENT.label


def test_h2_opening_a_ticket_the_account_is_not_entitled_to_is_refused(domain_service, open_ticket):
    with pytest.raises(ValidationError) as refused:
        open_ticket(None, category=Category.TECHNICAL)
    assert "category" in refused.value.error_dict
    assert not Ticket.objects.exists()


def test_h2_the_ticket_takes_department_priority_and_reply_target(contact, open_ticket):
    premium = ServiceFactory(
        customer=contact.customer,
        product__support_priority=Priority.HIGH,
        product__warranty_days=90,
    )
    before = timezone.now()
    ticket = open_ticket(premium)
    assert (ticket.department, ticket.priority) == (Department.HOSTING, Priority.HIGH)
    assert before + timedelta(hours=8) <= ticket.response_due_at
    assert ticket.response_due_at <= timezone.now() + timedelta(hours=8)


def test_h2_a_hosting_service_does_not_fit_a_domain_ticket(hosting, domain_service, open_ticket):
    with pytest.raises(ValidationError) as refused:
        open_ticket(hosting, category=Category.DOMAIN, domain_name="tokosaya.co.id")
    assert "service" in refused.value.error_dict


def test_k6_a_technical_ticket_needs_an_active_service(contact, open_ticket, hosting):
    suspended = ServiceFactory(customer=contact.customer, status="suspended")
    with pytest.raises(ValidationError) as refused, translation.override("en"):
        open_ticket(suspended)
    assert "suspended" in " ".join(refused.value.error_dict["service"][0].messages).lower()


def test_k6_another_customers_service_is_refused(contact, hosting):
    other = ServiceFactory(customer=ContactFactory().customer)
    with pytest.raises(ValidationError) as refused:
        services.ticket_open(
            customer=contact.customer,
            opened_by=contact.user,
            category=Category.BILLING,
            service=other,
            subject="Question about this invoice",
            description="Why was this service billed twice this month? Please check it.",
        )
    assert "service" in refused.value.error_dict


# --- H7: warranty marking -----------------------------------------------------------


def test_h7_inside_warranty_is_not_marked(hosting, open_ticket):
    ticket = open_ticket(hosting)
    assert ticket.outside_warranty is False
    assert ticket.warranty_end == hosting.warranty_end


def test_h7_a_technical_ticket_outside_warranty_is_opened_and_marked(expired_hosting, open_ticket):
    ticket = open_ticket(expired_hosting)
    assert ticket.pk and ticket.status == Ticket.Status.OPEN
    assert ticket.outside_warranty is True


def test_h7_a_product_without_warranty_is_outside_warranty(domain_service, open_ticket):
    ticket = open_ticket(domain_service, category=Category.DOMAIN, domain_name="tokosaya.id")
    assert ticket.outside_warranty is True


def test_h7_a_billing_question_about_an_expired_service_is_not_marked(expired_hosting, open_ticket):
    ticket = open_ticket(expired_hosting, category=Category.BILLING)
    assert ticket.outside_warranty is False


def test_h7_the_warranty_ends_after_its_last_day(contact):
    service = ServiceFactory(customer=contact.customer, warranty_end=TODAY)
    assert support_status(service, today=TODAY).in_warranty
    assert not support_status(service, today=TODAY + timedelta(days=1)).in_warranty


# --- K10: what each category asks for ----------------------------------------------


@pytest.mark.parametrize(
    ("category", "missing"),
    [
        (Category.TECHNICAL, {"error_message", "steps_taken", "started_on"}),
        (Category.DOMAIN, {"domain_name", "steps_taken"}),
        (Category.PROJECT, {"steps_taken"}),
        (Category.BILLING, set()),
        (Category.OTHER, set()),
    ],
)
def test_k10_each_category_requires_its_details(category, missing):
    empty = {"domain_name": "", "error_message": "", "steps_taken": "", "started_on": None}
    if missing:
        with pytest.raises(ValidationError) as refused:
            _details(category, **empty)
        assert set(refused.value.error_dict) == missing
    else:
        assert _details(category, **empty)["steps_taken"] == ""


@pytest.mark.parametrize("description", ["help", "tolong bantu", "x" * 60, "  error   500  "])
def test_k10_a_description_of_real_length_is_required(description):
    with pytest.raises(ValidationError) as refused:
        _details(Category.OTHER, description=description)
    assert set(refused.value.error_dict) == {"description"}


def test_k10_a_one_word_subject_is_refused():
    with pytest.raises(ValidationError) as refused:
        _details(Category.OTHER, subject="Help")
    assert set(refused.value.error_dict) == {"subject"}


def test_k10_bad_details_are_named_each_on_its_field():
    with pytest.raises(ValidationError) as refused:
        _details(
            Category.DOMAIN,
            domain_name="toko saya",
            steps_taken="nothing",
            started_on=TODAY + timedelta(days=1),
        )
    assert set(refused.value.error_dict) == {"domain_name", "steps_taken", "started_on"}


def test_k10_details_a_category_does_not_use_are_dropped():
    details = _details(Category.BILLING)
    assert details == {
        "domain_name": "",
        "error_message": "",
        "steps_taken": "",
        "started_on": None,
    }
    assert _details(Category.DOMAIN, domain_name="WWW.TokoSaya.co.id.")["domain_name"] == (
        "tokosaya.co.id"
    )


def test_k10_a_service_ticket_without_service_is_refused_on_the_service_field(hosting, open_ticket):
    with pytest.raises(ValidationError) as refused:
        open_ticket(None)
    assert set(refused.value.error_dict) == {"service"}


def test_ticket_numbers_are_human_and_sequential(hosting, open_ticket):
    year = timezone.localdate().year
    numbers = [open_ticket(hosting).number for _ in range(3)]
    assert numbers == [f"TKT-{year}-{n:06d}" for n in (1, 2, 3)]


def test_support_statuses_leave_out_cancelled_services_and_list_active_first(contact):
    ServiceFactory(customer=contact.customer, status="cancelled")
    suspended = ServiceFactory(customer=contact.customer, status="suspended")
    active = ServiceFactory(customer=contact.customer)
    statuses = selectors.support_statuses_for(customer=contact.customer)
    assert [s.service for s in statuses] == [active, suspended]
