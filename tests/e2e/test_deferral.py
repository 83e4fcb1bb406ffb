"""Browser journey: a payment deferral asked for too late, then for the next period.

One Chromium session (Playwright) against the live server, with staff acting in a
second browser context, in the order a real customer meets the rule:

* K4: the customer's monthly hosting was activated on 1 November 2026, so its
  invoices come on the 18th, for periods starting on the 1st. On 19 November the
  December invoice is already out (18 November), so the service page counts from
  the next invoice not yet issued: January's, on 18 December, whose deadline was 18
  November. The customer asks to defer that payment to 20 January and is refused
  with the missed deadline and the dates of the earliest period still open (1
  February 2027, requests until 19 December 2026). Nothing typed is lost, and the
  payment date moves with the period, to 20 February (shown): one more click sends
  the same request for that period, and it waits for staff.
* The February invoice is issued by the recurring run (due 7 days after issue).
* Staff approve the deferral with the admin action "approve" and a reason; the
  invoice's due date moves to the proposed date, audited; the responsible contact
  is told by e-mail and sees the new due date on the invoice.

The clock is frozen (time-machine, ticking) for the whole journey: the live server
runs in this process, so its threads read the same travelled clock. Mail comes from
Django's locmem outbox. A full-page screenshot of each step goes to
``artifacts/e2e/deferral/``.
"""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from core import clock
from core.validators import detect_scan_kind
from customers.models import IdentityDocument, User
from invoices import services as billing
from invoices.jobs import issue_recurring_invoices
from invoices.models import Invoice
from orders.cart import CartItem
from orders.models import Service
from orders.services import order_place
from policy.models import Decision, PaymentDeferral
from tests.e2e.test_onboarding import Screenshots
from tests.factories import (
    PASSWORD,
    BankAccountFactory,
    ContactFactory,
    IdentityDocumentFactory,
    PlanFactory,
    ProductFactory,
    ProductGroupFactory,
    TermsVersionFactory,
    UserFactory,
    png_bytes,
    upload,
)

SHOTS_DIR = Path(__file__).resolve().parents[2] / "artifacts" / "e2e" / "deferral"
WIB = ZoneInfo("Asia/Jakarta")

EMAIL = "dewi.lestari@example.co.id"
FULL_NAME = "Dewi Lestari"
STAFF_EMAIL = "keuangan@masternet.test"
STAFF_PASSWORD = "staff-Pass-2026!"
PRODUCT_NAME = "Hosting Bisnis"
DOMAIN = "warungdewi.com"

ACTIVATED = datetime(2026, 11, 1, 10, tzinfo=WIB)
BROWSING = datetime(2026, 11, 19, 10, tzinfo=WIB)  # the day after January's deadline
FEBRUARY = date(2027, 2, 1)  # the earliest period still open on 19 November
REASON = "Our biggest client pays us late this winter."
TYPED = date(2027, 1, 20)  # inside the missed January period
PROPOSED = date(2027, 2, 20)  # the same day in the February period offered
STAFF_REASON = "Long-standing customer, always paid on time."


@pytest.fixture
def shot():
    return Screenshots(SHOTS_DIR)


@pytest.fixture
def staff(transactional_db):
    from allauth.account.models import EmailAddress

    user = User.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD)
    # Staff log in through allauth (the admin's login redirects there): a verified address.
    EmailAddress.objects.create(user=user, email=STAFF_EMAIL, verified=True, primary=True)
    return user


@pytest.fixture
def service(transactional_db, staff):
    """A monthly hosting service ordered, paid and activated on 1 November 2026: its
    periods start on the 1st, its invoices are issued on the 18th of the month before."""
    with time_machine.travel(ACTIVATED, tick=False):
        contact = ContactFactory(
            user=UserFactory(email=EMAIL),
            full_name=FULL_NAME,
            customer__name=FULL_NAME,
            accepted_terms=TermsVersionFactory(),
        )
        IdentityDocumentFactory(
            customer=contact.customer,
            uploaded_by=contact.user,
            status=IdentityDocument.Status.VERIFIED,
        )
        product = ProductFactory(
            group=ProductGroupFactory(kind="hosting", name_id="Hosting", name_en="Hosting"),
            slug="hosting-bisnis",
            name_id=PRODUCT_NAME,
            name_en=PRODUCT_NAME,
            needs_domain=True,
        )
        plan = PlanFactory(product=product, name="10 GB")
        bank = BankAccountFactory()
        order = order_place(
            customer=contact.customer,
            placed_by=contact.user,
            items=[CartItem(product_id=product.pk, plan_id=plan.pk, domain_name=DOMAIN)],
            aup_accepted=True,
            ip_address="198.51.100.4",
        )
        invoice = order.invoices.get()
        proof = upload("bukti-transfer.png", png_bytes())
        confirmation = billing.payment_confirmation_submit(
            invoice=invoice, submitted_by=contact.user, bank_name="BCA",
            sender_account_name=FULL_NAME.upper(), amount=invoice.amount_to_transfer,
            transfer_date=ACTIVATED.date(), to_account=bank,
            proof=proof, proof_kind=detect_scan_kind(proof),
        )  # fmt: skip
        billing.payment_approve(confirmation=confirmation, staff=staff)
    service = Service.objects.get(order=order)
    assert service.status == Service.Status.ACTIVE
    assert (service.period_anchor, service.invoice_anchor) == (
        date(2026, 11, 1),
        date(2026, 10, 18),
    )
    return service


# --- the customer's steps ---------------------------------------------------------------


def log_in(page: Page, base_url: str, shot) -> None:
    """The real login form, in English."""
    page.goto(f"{base_url}/accounts/login/")
    page.locator("form[action='/i18n/setlang/'] button[value='en']").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.fill("input[name='login']", EMAIL)
    page.fill("input[name='password']", PASSWORD)
    shot(page, "login")
    page.locator("form[action='/accounts/login/'] button[type='submit']").click()
    expect(page).to_have_url(f"{base_url}/dashboard/")


def see_deadlines(page: Page, base_url: str, shot, *, service: Service) -> None:
    """K4: the service page says which period is next, its deadline, and which
    period is the earliest one still open."""
    page.goto(f"{base_url}/services/{service.pk}/")
    deadlines = page.get_by_test_id("deadlines")
    expect(deadlines).to_contain_text("period starting 1 January 2027")
    expect(deadlines).to_contain_text("issued on 18 December 2026")
    expect(deadlines).to_contain_text("until 18 November 2026")
    expect(deadlines).to_contain_text("starts on 1 February 2027")
    expect(deadlines).to_contain_text("requests until 19 December 2026")
    expect(page.get_by_test_id("deferral")).to_have_count(0)
    shot(page, "service")


def ask_too_late(page: Page, base_url: str, shot, *, service: Service) -> None:
    """K4: asked for the default period (the next invoice not yet issued), the request
    is refused with the deadline that was missed and the next period's dates; what was
    typed stays, and the payment date moves to the same day in the offered period."""
    page.get_by_role("link", name="Defer a payment").click()
    expect(page).to_have_url(f"{base_url}/services/{service.pk}/deferral/")
    expect(page.get_by_test_id("too-late")).to_have_count(0)
    page.fill("textarea[name='reason']", REASON)
    page.fill("input[name='proposed_due_date']", TYPED.isoformat())
    shot(page, "deferral-form")
    page.locator("#submit-id-submit").click()

    refusal = page.get_by_test_id("too-late")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("invoice of 18 December 2026")
    expect(refusal).to_contain_text("period starting 1 January 2027")
    expect(refusal).to_contain_text("had to reach us by 18 November 2026")
    expect(refusal).to_contain_text("starts on 1 February 2027")
    expect(refusal).to_contain_text("its deadline is 19 December 2026")
    expect(page.locator("textarea[name='reason']")).to_have_value(REASON)
    moved = page.get_by_test_id("date-moved")
    expect(moved).to_contain_text("20 January 2027")
    expect(moved).to_contain_text("is now 20 February 2027")
    expect(page.locator("input[name='proposed_due_date']")).to_have_value(PROPOSED.isoformat())
    expect(page.locator("input[name='period_start']")).to_have_value(FEBRUARY.isoformat())
    expect(page.locator(".invalid-feedback")).to_have_count(0)
    shot(page, "too-late")


def submit_for_the_next_period(page: Page, base_url: str, shot, *, service: Service) -> None:
    """K4: one more click sends the same request for the period offered; it waits."""
    page.locator("#submit-id-submit").click()
    expect(page).to_have_url(f"{base_url}/services/{service.pk}/")
    expect(page.locator(".alert-success")).to_contain_text("Your request was sent")
    deferral = page.get_by_test_id("deferral")
    expect(deferral).to_have_count(1)
    expect(deferral).to_contain_text("period starting 1 February 2027, pay by 20 February 2027")
    expect(deferral).to_contain_text("Waiting for our staff")
    shot(page, "deferral-waiting")


def see_invoice_due(page: Page, base_url: str, shot, *, invoice: Invoice, due: str, step: str):
    expect(page).to_have_url(f"{base_url}/invoices/{invoice.pk}/")
    expect(page.locator("h1")).to_have_text(f"Invoice {invoice.number}")
    expect(page.locator("main")).to_contain_text(f"Issued 18 January 2027 · due {due}")
    expect(page.get_by_test_id("invoice-status")).to_have_text("Unpaid")
    shot(page, step)


# --- the staff member's steps -----------------------------------------------------------


def staff_approves(browser: Browser, base_url: str, shot, *, deferral: PaymentDeferral) -> None:
    """K4: staff select the deferral, run the action "approve", give a reason, confirm."""
    changelist = "/admin/policy/paymentdeferral/"
    context = browser.new_context()
    try:
        admin = context.new_page()
        admin.goto(f"{base_url}/admin/login/?next={changelist}")
        # /admin/login/ sends staff to allauth's login (lockout, two-factor step).
        admin.fill("input[name='login']", STAFF_EMAIL)
        admin.fill("input[name='password']", STAFF_PASSWORD)
        admin.locator("form[action^='/accounts/login/'] button[type='submit']").click()
        expect(admin).to_have_url(base_url + changelist)
        rows = admin.locator("#result_list tbody tr")
        expect(rows).to_have_count(1)
        expect(rows).to_contain_text(DOMAIN)
        admin.locator(f"input[name='_selected_action'][value='{deferral.pk}']").check()
        admin.select_option("select[name='action']", "approve")
        shot(admin, "admin-changelist")
        admin.locator("button[name='index']").click()

        reason = admin.locator("textarea[name='reason']")
        expect(reason).to_be_visible()
        expect(admin.locator("#content")).to_contain_text(str(deferral))
        reason.fill(STAFF_REASON)
        shot(admin, "admin-reason")
        admin.locator("input[name='apply']").click()

        expect(admin).to_have_url(base_url + changelist)
        expect(admin.locator(".messagelist .success")).to_contain_text("1")
        expect(admin.locator(".messagelist .error")).to_have_count(0)
        shot(admin, "admin-approved")
    finally:
        context.close()


# --- the journey ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_k4_late_deferral_goes_to_the_next_period_and_staff_approval_moves_the_due_date(
    page: Page, browser: Browser, live_server, staff, service, shot
):
    base_url = live_server.url
    customer = service.customer

    with time_machine.travel(BROWSING, tick=True):
        log_in(page, base_url, shot)
        see_deadlines(page, base_url, shot, service=service)
        ask_too_late(page, base_url, shot, service=service)
        assert not PaymentDeferral.objects.exists(), "a refused request is not stored"

        submit_for_the_next_period(page, base_url, shot, service=service)
        deferral = PaymentDeferral.objects.get(service=service)
        assert deferral.customer == customer
        assert deferral.requested_by.email == EMAIL
        assert (deferral.period_start, deferral.issue_date, deferral.deadline) == (
            FEBRUARY,
            date(2027, 1, 18),
            date(2026, 12, 19),
        )
        assert (deferral.reason, deferral.proposed_due_date) == (REASON, PROPOSED)
        assert deferral.status == Decision.PENDING
        # The server thread read the travelled clock, not the real one.
        assert deferral.created_at.astimezone(WIB).date() == BROWSING.date()
        assert not deferral.was_late

        # The recurring run on February's issue date bills that period, due a week later.
        february = service.schedule.period_containing(FEBRUARY)
        assert february.issue_date == date(2027, 1, 18)
        result = issue_recurring_invoices(today=february.issue_date)
        assert any(f"period {FEBRUARY}" in line for line in result.done), str(result)
        invoice = Invoice.objects.get(service=service, period_start=FEBRUARY)
        assert (invoice.customer, invoice.status) == (customer, Invoice.Status.UNPAID)
        assert (invoice.issue_date, invoice.due_date) == (date(2027, 1, 18), date(2027, 1, 25))
        deferral.refresh_from_db()
        assert deferral.status == Decision.PENDING, "the run does not decide for staff"
        assert deferral.applied_to is None

        page.goto(f"{base_url}/invoices/{invoice.pk}/")
        see_invoice_due(
            page, base_url, shot, invoice=invoice, due="25 January 2027", step="invoice-before"
        )

        mail.outbox.clear()
        staff_approves(browser, base_url, shot, deferral=deferral)

        deferral.refresh_from_db()
        assert deferral.status == Decision.APPROVED
        assert deferral.decided_by == staff
        assert deferral.decision_reason == STAFF_REASON
        assert deferral.override_reason == "", "in time: no override needed"
        assert deferral.decided_at.astimezone(WIB).date() == clock.today() == BROWSING.date()
        assert deferral.applied_to == invoice
        assert deferral.history.first().history_user == staff

        invoice.refresh_from_db()
        assert invoice.due_date == PROPOSED
        assert invoice.status == Invoice.Status.UNPAID
        latest, before = invoice.history.all()[:2]
        assert latest.history_user == staff
        assert latest.history_change_reason == f"due date deferred (deferral {deferral.pk})"
        assert (before.due_date, latest.due_date) == (date(2027, 1, 25), PROPOSED)

        # The responsible contact hears of the decision, in their own language.
        [decision] = [m for m in mail.outbox if STAFF_REASON in m.body]
        assert decision.to == [EMAIL]
        assert DOMAIN in decision.subject
        assert "20 Februari 2027" in decision.body, decision.body  # language "id"
        assert f"/services/{service.pk}/" in decision.body

        page.reload()
        see_invoice_due(
            page, base_url, shot, invoice=invoice, due="20 February 2027", step="invoice-deferred"
        )
