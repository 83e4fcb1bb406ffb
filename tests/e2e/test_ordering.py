"""Browser journey: a verified customer orders hosting, pays, and gets the service.

One Chromium session (Playwright) against the live server, with staff acting in a
second browser context, in the order a real customer meets the rules:

* K2, K9: the customer orders a hosting plan with its domain through the catalogue,
  the cart and the checkout, acknowledging the acceptable-use policy; the order
  lands on its invoice, whose PDF can be downloaded and was e-mailed.
* K3: the customer confirms the transfer with bank, sender, amount, date and a
  JPEG proof; the invoice waits for verification; staff approve it in the admin,
  which marks the invoice paid once.
* H3: the customer downloads the receipt (bukti pembayaran) with its own number,
  which was e-mailed too.
* H1, K8: the paid service of a product that needs verified identity is active,
  because the customer's KTP is verified.

Mail comes from Django's locmem outbox: the live server runs in this process, and
the Celery tasks run eagerly from ``transaction.on_commit``. A full-page screenshot
of each step goes to ``artifacts/e2e/ordering/``; the PDFs are saved beside them.
"""

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.utils import translation
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from core import clock
from customers.models import IdentityDocument, User
from invoices.models import Invoice, Payment, PaymentConfirmation, Receipt
from orders.models import Service
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
    jpeg_bytes,
)

ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "artifacts" / "e2e" / "ordering"

EMAIL = "budi.santoso@example.co.id"
FULL_NAME = "Budi Santoso"
STAFF_EMAIL = "keuangan@masternet.test"
STAFF_PASSWORD = "staff-Pass-2026!"
PRODUCT_NAME = "Hosting Bisnis"
DOMAIN = "tokobudi.com"
SENDER_BANK = "Bank Mandiri"
SENDER_NAME = "BUDI SANTOSO"
TOTAL = Decimal("111000")  # 100.000 + PPN 11%


@pytest.fixture
def shot():
    return Screenshots(ARTIFACTS_DIR)


@pytest.fixture
def staff(transactional_db):
    from allauth.account.models import EmailAddress

    user = User.objects.create_superuser(STAFF_EMAIL, STAFF_PASSWORD)
    # Staff log in through allauth (the admin's login redirects there): a verified address.
    EmailAddress.objects.create(user=user, email=STAFF_EMAIL, verified=True, primary=True)
    return user


@pytest.fixture
def customer_contact(transactional_db):
    """K1, K7, K8: accepted terms, a complete responsible contact, a verified KTP."""
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
    return contact


@pytest.fixture
def plan(transactional_db):
    """A hosting plan that asks for a domain and, K8, is activated only once verified."""
    product = ProductFactory(
        group=ProductGroupFactory(kind="hosting", name_id="Hosting", name_en="Hosting"),
        slug="hosting-bisnis",
        name_id=PRODUCT_NAME,
        name_en=PRODUCT_NAME,
        description_en="10 GB SSD, unlimited bandwidth, daily backup.",
        needs_domain=True,
        requires_verified_identity=True,
    )
    return PlanFactory(product=product, name="10 GB", price=Decimal("100000"))


@pytest.fixture
def bank(transactional_db):
    return BankAccountFactory(bank="BCA", account_number="437 0123 456")


def download(page: Page, link, name: str) -> bytes:
    """Click a download link; the file is saved under the artifacts and returned."""
    with page.expect_download() as info:
        link.click()
    path = ARTIFACTS_DIR / name
    info.value.save_as(path)
    assert info.value.suggested_filename == name
    return path.read_bytes()


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF"), content[:20]
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


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


def order_hosting(page: Page, base_url: str, shot, *, plan) -> None:
    """K2, K9: catalogue → product → cart → checkout, with the acceptable-use box."""
    page.goto(f"{base_url}/catalogue/")
    card = page.locator(".card").filter(has_text=PRODUCT_NAME)
    expect(card).to_contain_text("Rp 100.000")
    shot(page, "catalogue")
    card.get_by_role("link", name="Choose").click()
    expect(page).to_have_url(f"{base_url}/catalogue/{plan.product.slug}/")
    with translation.override("en"):  # the page is in English
        page.get_by_label(plan.label).check()
    page.fill("#id_domain_name", DOMAIN)
    shot(page, "product")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(f"{base_url}/cart/")
    expect(page.locator("main table")).to_contain_text(DOMAIN)
    shot(page, "cart")
    page.get_by_role("link", name="Checkout", exact=True).click()
    expect(page).to_have_url(f"{base_url}/checkout/")
    expect(page.get_by_test_id("order-blocked")).to_have_count(0)
    page.check("input[name='accept_aup']")
    shot(page, "checkout")
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/invoices/\d+/$"))


def see_invoice(page: Page, shot, *, invoice: Invoice) -> None:
    expect(page.locator("h1")).to_have_text(f"Invoice {invoice.number}")
    expect(page.locator(".alert-success")).to_contain_text(invoice.number)
    expect(page.get_by_test_id("invoice-status")).to_have_text("Unpaid")
    # The total plus the unique code (kode unik), written as Indonesians write amounts.
    to_transfer = f"Rp 111.{invoice.unique_code:03d}"
    expect(page.get_by_test_id("amount-to-transfer")).to_have_text(to_transfer)
    expect(page.locator("main")).to_contain_text(f"{PRODUCT_NAME} 10 GB — {DOMAIN}")
    expect(page.locator("main")).to_contain_text("437 0123 456")
    shot(page, "invoice")


def confirm_payment(page: Page, base_url: str, shot, *, invoice: Invoice, proof: Path) -> None:
    """K3: bank, sender, amount (prefilled), date, target account and the proof."""
    page.locator("a[href$='/confirm/']").click()
    expect(page).to_have_url(f"{base_url}/invoices/{invoice.pk}/confirm/")
    amount = page.locator("input[name='amount']")
    assert Decimal(amount.input_value()) == invoice.amount_to_transfer
    page.fill("input[name='bank_name']", SENDER_BANK)
    page.fill("input[name='sender_account_name']", SENDER_NAME)
    page.fill("input[name='transfer_date']", clock.today().isoformat())
    page.get_by_label("BCA 437 0123 456").check()
    page.set_input_files("input[name='proof']", proof)
    shot(page, "confirm-payment")
    page.get_by_role("button", name="Send confirmation").click()
    expect(page).to_have_url(f"{base_url}/invoices/{invoice.pk}/")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.get_by_test_id("invoice-status")).to_have_text("Waiting for verification")
    expect(page.locator("a[href$='/confirm/']")).to_have_count(0)
    shot(page, "invoice-waiting")


def see_paid(page: Page, shot, *, receipt: Receipt) -> None:
    """H3: the invoice is paid and its receipt is linked by number."""
    page.reload()
    status = page.get_by_test_id("invoice-status")
    expect(status).to_have_text("Paid")
    expect(status).to_have_class(re.compile(r"\btext-bg-success\b"))
    expect(page.get_by_test_id("amount-to-transfer")).to_have_count(0)
    expect(page.get_by_test_id("receipt-pdf")).to_contain_text(receipt.number)
    shot(page, "invoice-paid")


def see_service_active(page: Page, base_url: str, shot) -> None:
    """H1: the service shows its status, period and warranty."""
    page.locator("nav").get_by_role("link", name="Services").click()
    expect(page).to_have_url(f"{base_url}/services/")
    row = page.locator("tbody tr").filter(has_text=DOMAIN)
    expect(row).to_have_count(1)
    badge = row.get_by_test_id("service-status")
    expect(badge).to_have_text("Active")
    expect(badge).to_have_class(re.compile(r"\btext-bg-success\b"))
    shot(page, "services")


# --- the staff member's steps -----------------------------------------------------------


def staff_approves(browser: Browser, base_url: str, shot, *, confirmation_pk: int) -> None:
    """K3: staff open the confirmation in the admin, choose "Approve" and save."""
    change_url = f"/admin/invoices/paymentconfirmation/{confirmation_pk}/change/"
    context = browser.new_context()
    try:
        admin = context.new_page()
        admin.goto(f"{base_url}/admin/login/?next={change_url}")
        # /admin/login/ sends staff to allauth's login (lockout, two-factor step).
        admin.fill("input[name='login']", STAFF_EMAIL)
        admin.fill("input[name='password']", STAFF_PASSWORD)
        admin.locator("form[action^='/accounts/login/'] button[type='submit']").click()
        expect(admin).to_have_url(base_url + change_url)
        expect(admin.locator(".field-sender_account_name .readonly")).to_have_text(SENDER_NAME)
        expect(admin.locator(".field-amount_check .readonly")).to_have_text(
            "sesuai"
        )  # staff work in Indonesian
        admin.select_option("#id_decision", "approve")
        shot(admin, "admin-decision")
        admin.locator("input[name='_save']").click()
        expect(admin).to_have_url(f"{base_url}/admin/invoices/paymentconfirmation/")
        expect(admin.locator(".messagelist .success")).to_be_visible()
        expect(admin.locator(".messagelist .error")).to_have_count(0)
        expect(admin.locator(".errorlist")).to_have_count(0)
        shot(admin, "admin-approved")
    finally:
        context.close()


# --- the journey ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_k2_k3_k9_h1_h3_order_pay_and_get_the_service(
    page: Page, browser: Browser, live_server, staff, customer_contact, plan, bank, tmp_path, shot
):
    base_url = live_server.url
    customer = customer_contact.customer

    log_in(page, base_url, shot)
    order_hosting(page, base_url, shot, plan=plan)

    invoice = Invoice.objects.get(customer=customer)
    assert (invoice.status, invoice.total) == (Invoice.Status.UNPAID, TOTAL)
    assert page.url == f"{base_url}/invoices/{invoice.pk}/"
    order = invoice.order
    assert order.placed_by == customer_contact.user
    assert order.aup_accepted_at is not None, "K9: the acknowledgement is recorded"
    assert order.aup_ip_address == "127.0.0.1"
    service = Service.objects.get(order=order)
    assert (service.domain_name, service.status) == (DOMAIN, Service.Status.PENDING)

    see_invoice(page, shot, invoice=invoice)
    text = pdf_text(
        download(
            page, page.get_by_test_id("invoice-pdf"), f"{invoice.number.replace('/', '-')}.pdf"
        )
    )
    assert invoice.number in text

    invoice_mails = [m for m in mail.outbox if invoice.number in m.subject]
    assert len(invoice_mails) == 1, [m.subject for m in mail.outbox]
    assert invoice_mails[0].to == [EMAIL]
    [(filename, content, mimetype)] = invoice_mails[0].attachments
    assert (filename, mimetype) == (f"{invoice.number.replace('/', '-')}.pdf", "application/pdf")
    assert invoice.number in pdf_text(content)

    proof = tmp_path / "bukti-transfer.jpg"
    proof.write_bytes(jpeg_bytes())
    confirm_payment(page, base_url, shot, invoice=invoice, proof=proof)
    confirmation = PaymentConfirmation.objects.get(invoice=invoice)
    assert confirmation.status == PaymentConfirmation.Status.PENDING
    assert (confirmation.bank_name, confirmation.sender_account_name) == (SENDER_BANK, SENDER_NAME)
    assert confirmation.amount == invoice.amount_to_transfer
    assert confirmation.transfer_date == clock.today()
    assert confirmation.to_account == bank
    assert confirmation.proof_content_type == "image/jpeg"

    staff_approves(browser, base_url, shot, confirmation_pk=confirmation.pk)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert invoice.paid_at is not None
    payment = Payment.objects.get(invoice=invoice)
    assert (payment.confirmation, payment.amount, payment.recorded_by) == (
        confirmation,
        confirmation.amount,
        staff,
    )
    receipt = payment.receipt
    assert re.fullmatch(r"KW/\d{4}/\d{6}", receipt.number)

    see_paid(page, shot, receipt=receipt)
    text = pdf_text(
        download(
            page, page.get_by_test_id("receipt-pdf"), f"{receipt.number.replace('/', '-')}.pdf"
        )
    )
    assert receipt.number in text
    assert invoice.number in text

    receipt_mails = [m for m in mail.outbox if receipt.number in m.subject]
    assert len(receipt_mails) == 1, [m.subject for m in mail.outbox]
    assert receipt_mails[0].to == [EMAIL]
    [(filename, content, mimetype)] = receipt_mails[0].attachments
    assert (filename, mimetype) == (f"{receipt.number.replace('/', '-')}.pdf", "application/pdf")
    assert receipt.number in pdf_text(content)

    see_service_active(page, base_url, shot)
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    assert service.period_start == clock.today()
