"""Browser journey: a new customer's onboarding, from sign-up to verified identity.

One Chromium session (Playwright) against the live server, with staff acting in a
second browser context, in the order a real customer meets the rules:

* K1: the Terms of Service are accepted at sign-up; when staff publish a newer
  version mid-journey, the client area is locked until the customer has read
  what changed and accepted it.
* K7: creating the customer account names the user as its one responsible
  contact, with a name and a phone number.
* K8: the customer uploads a KTP scan with a valid NIK; staff verify it in the
  admin; the customer then sees it verified and the checklist complete.

The e-mail verification link comes from Django's locmem outbox: the live server
runs in this process, so every mail it sends lands in ``django.core.mail.outbox``.
A full-page screenshot of each step goes to ``artifacts/e2e/onboarding/``.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from customers.models import Contact, IdentityDocument, Role, TermsAcceptance, User
from tests.factories import VALID_NIK, TermsVersionFactory, png_bytes

SHOTS_DIR = Path(__file__).resolve().parents[2] / "artifacts" / "e2e" / "onboarding"
CONFIRM_LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+/")

EMAIL = "siti.rahma@example.co.id"
PASSWORD = "Kopi-Tubruk-2026!"
STAFF_EMAIL = "verifikasi@masternet.test"
STAFF_PASSWORD = "staff-Pass-2026!"
FULL_NAME = "Siti Rahmawati"
PHONE = "0812 3456 7890"


class Screenshots:
    """Numbered full-page screenshots: 01-signup.png, 02-verification-sent.png, ..."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()

    def __call__(self, page: Page, step: str) -> None:
        self.count += 1
        page.screenshot(path=self.folder / f"{self.count:02d}-{step}.png", full_page=True)


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


def confirmation_link(base_url: str) -> str:
    """The link in the one verification mail allauth sent through Django's backend."""
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [EMAIL]
    assert message.subject.startswith("[Masternet] ")
    links = CONFIRM_LINK.findall(message.body)
    assert len(links) == 1, message.body
    assert links[0].startswith(base_url + "/"), "the link must point at the server that sent it"
    return links[0]


# --- the customer's steps ---------------------------------------------------------------


def sign_up(page: Page, base_url: str, shot) -> None:
    """K1: sign up in English, accepting the current Terms of Service."""
    page.goto(f"{base_url}/accounts/signup/")
    page.locator("form[action='/i18n/setlang/'] button[value='en']").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.fill("#id_email", EMAIL)
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.check("#id_accept_terms")
    page.select_option("#id_language", "en")
    shot(page, "signup")
    page.locator("form[action='/accounts/signup/'] button[type='submit']").click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    shot(page, "verification-sent")


def confirm_email(page: Page, base_url: str, shot) -> None:
    """Open the link from the mail; the page asks to confirm with a POST (not on GET)."""
    page.goto(confirmation_link(base_url))
    confirm = page.locator("form[action^='/accounts/confirm-email/'] button[type='submit']")
    expect(confirm).to_be_visible()
    shot(page, "confirm-email")
    confirm.click()
    # ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION: the customer lands in the client area.
    expect(page).to_have_url(f"{base_url}/dashboard/")
    expect(page.locator("[data-step='account']")).to_be_visible()
    expect(page.locator("[data-step='terms']")).to_have_count(0)
    shot(page, "dashboard-after-confirmation")


def accept_new_terms(page: Page, base_url: str, shot, *, summary: str) -> None:
    """K1: the client area sends the customer to read what changed and accept it."""
    page.goto(f"{base_url}/account/setup/")
    expect(page).to_have_url(re.compile(r"/terms/accept/\?next=%2Faccount%2Fsetup%2F$"))
    expect(page.get_by_test_id("terms-summary")).to_contain_text(summary)
    shot(page, "new-terms")
    page.check("#id_accept")
    page.locator("#submit-id-submit").click()
    expect(page).to_have_url(f"{base_url}/account/setup/")


def create_customer_account(page: Page, base_url: str, shot) -> None:
    """K7: the account is created with the user as its responsible contact."""
    page.select_option("#id_kind", "person")
    page.fill("#id_name", FULL_NAME)
    page.fill("#id_address", "Jl. Braga No. 12")
    page.fill("#id_city", "Bandung")
    page.fill("#id_postal_code", "40111")
    page.fill("#id_phone", "022 420 1234")
    page.fill("#id_contact_name", FULL_NAME)
    page.fill("#id_contact_phone", PHONE)
    shot(page, "account-setup")
    page.locator("#submit-id-submit").click()
    expect(page).to_have_url(f"{base_url}/dashboard/")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("[data-step='account']")).to_have_count(0)
    expect(page.locator("[data-step='responsible']")).to_have_count(0)
    expect(page.locator("[data-step='identity']")).to_be_visible()
    shot(page, "dashboard-after-setup")


def upload_ktp(page: Page, base_url: str, shot, *, scan: Path) -> None:
    """K8: a KTP with a valid NIK and a real PNG scan; it waits for staff."""
    page.goto(f"{base_url}/account/identity/")
    page.select_option("#id_kind", "ktp")
    page.fill("#id_number", VALID_NIK)
    page.fill("#id_holder_name", FULL_NAME)
    page.set_input_files("#id_scan", scan)
    shot(page, "identity-form")
    page.locator("#submit-id-submit").click()
    expect(page).to_have_url(f"{base_url}/account/identity/")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("[data-testid^='document-'] .badge")).to_have_text(
        "Waiting for verification"
    )
    shot(page, "identity-uploaded")


def see_identity_verified(page: Page, base_url: str, shot, *, document_pk: int) -> None:
    """K8: after staff verified the KTP, the dashboard checklist is complete."""
    page.goto(f"{base_url}/dashboard/")
    expect(page.get_by_test_id("identity-ktp")).to_have_text("Verified")
    expect(page.get_by_test_id("checklist-done")).to_be_visible()
    expect(page.get_by_test_id("checklist")).to_have_count(0)
    shot(page, "dashboard-verified")
    page.goto(f"{base_url}/account/identity/")
    badge = page.locator(f"[data-testid='document-{document_pk}'] .badge")
    expect(badge).to_have_text("Verified")
    expect(badge).to_have_class(re.compile(r"\btext-bg-success\b"))
    shot(page, "identity-verified")


# --- the staff member's steps -----------------------------------------------------------


def staff_verifies(browser: Browser, base_url: str, shot, *, document_pk: int) -> None:
    """K8: staff open the document in the admin, choose "Verify" and save."""
    change_url = f"/admin/customers/identitydocument/{document_pk}/change/"
    context = browser.new_context()
    try:
        admin = context.new_page()
        admin.goto(f"{base_url}/admin/login/?next={change_url}")
        # /admin/login/ sends staff to allauth's login (lockout, two-factor step).
        admin.fill("input[name='login']", STAFF_EMAIL)
        admin.fill("input[name='password']", STAFF_PASSWORD)
        admin.locator("form[action^='/accounts/login/'] button[type='submit']").click()
        expect(admin).to_have_url(base_url + change_url)
        expect(admin.locator(".field-number .readonly")).to_have_text(VALID_NIK)
        admin.select_option("#id_decision", "verify")
        shot(admin, "admin-decision")
        admin.locator("input[name='_save']").click()
        expect(admin).to_have_url(f"{base_url}/admin/customers/identitydocument/")
        expect(admin.locator(".messagelist .success")).to_be_visible()
        expect(admin.locator(".messagelist .error")).to_have_count(0)
        shot(admin, "admin-verified")
    finally:
        context.close()


# --- the journey ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_k1_k7_k8_onboarding_from_sign_up_to_verified_identity(
    page: Page, browser: Browser, live_server, staff, tmp_path, shot
):
    base_url = live_server.url
    first_terms = TermsVersionFactory(version="2026.1")

    sign_up(page, base_url, shot)
    user = User.objects.get(email=EMAIL)
    assert user.language == "en"
    assert TermsAcceptance.objects.filter(user=user, terms=first_terms).exists()

    confirm_email(page, base_url, shot)

    newer = TermsVersionFactory(
        version="2026.2",
        published_at=timezone.now() - timedelta(seconds=1),
        summary_en="Payment deferrals must now be asked for 30 days ahead.",
    )
    accept_new_terms(page, base_url, shot, summary=newer.summary_en)
    acceptance = TermsAcceptance.objects.get(user=user, terms=newer)
    assert acceptance.ip_address == "127.0.0.1"

    create_customer_account(page, base_url, shot)
    contact = Contact.objects.select_related("customer").get(user=user)
    assert (contact.role, contact.full_name, contact.phone) == (Role.RESPONSIBLE, FULL_NAME, PHONE)

    scan = tmp_path / "ktp.png"
    scan.write_bytes(png_bytes())
    upload_ktp(page, base_url, shot, scan=scan)
    document = IdentityDocument.objects.get(customer=contact.customer)
    assert document.status == IdentityDocument.Status.PENDING
    assert [m.to for m in mail.outbox[1:]] == [[STAFF_EMAIL]], "staff hear of the new KTP"

    staff_verifies(browser, base_url, shot, document_pk=document.pk)
    document.refresh_from_db()
    assert document.status == IdentityDocument.Status.VERIFIED
    assert document.decided_by == staff
    decision = mail.outbox[-1]
    assert decision.to == [EMAIL]
    assert VALID_NIK in decision.body

    see_identity_verified(page, base_url, shot, document_pk=document.pk)
