"""Browser journey: a technical ticket on a service outside its warranty, answered by staff.

One Chromium session (Playwright) against the live server, with staff acting in a
second browser context, in the order a real customer meets the rules:

* H2, H7: the customer's business hosting was activated on 1 December 2026 with a
  30-day warranty. On 15 February 2027 they open a technical ticket about it; before
  anything is typed the form names the service's support status (warranty ended on
  31 December 2026, technical help limited or paid), warns that the ticket will be
  marked "outside warranty", and gives the reply target of the product's priority
  (high: 8 hours).
* K10: an empty required detail (the error message) is stopped at its field by the
  browser; blanks typed to get past it are refused by the server with the error beside
  that field, and everything else typed is still there. Once filled in, the ticket is
  opened with a PNG screenshot; its page shows the attachment and the outside-warranty
  mark (H7).
* K6, H7: staff filter the admin's ticket list by "outside warranty", open the ticket,
  see the thread and the customer's services with their support status, start the
  reply from a canned reply (in the customer's language, by ``canned-replies.js``),
  send it, and add an internal note. The customer is told of the reply by e-mail.
* The customer sees the reply but never the internal note, closes the ticket and
  rates the answer.

The clock is frozen (time-machine, ticking) for the whole journey: the live server
runs in this process, so its threads read the same travelled clock. Mail comes from
Django's locmem outbox. A full-page screenshot of each step goes to
``artifacts/e2e/tickets/``.
"""

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.utils import translation
from django.utils.formats import date_format
from playwright.sync_api import Browser, Page, expect

from customers.models import TermsVersion, User
from orders.models import Priority, Service
from tests.e2e.test_onboarding import Screenshots
from tests.factories import (
    PASSWORD,
    CannedReplyFactory,
    ContactFactory,
    ProductFactory,
    ProductGroupFactory,
    ServiceFactory,
    TermsVersionFactory,
    UserFactory,
    png_bytes,
)
from tickets.models import CannedReply, Message, Ticket
from tickets.services import ticket_open

SHOTS_DIR = Path(__file__).resolve().parents[2] / "artifacts" / "e2e" / "tickets"
WIB = ZoneInfo("Asia/Jakarta")

EMAIL = "dewi.lestari@example.co.id"
FULL_NAME = "Dewi Lestari"
STAFF_EMAIL = "support@masternet.test"
STAFF_PASSWORD = "staff-Pass-2026!"
PRODUCT_NAME_EN = "Business Hosting"
PRODUCT_NAME_ID = "Hosting Bisnis"
DOMAIN = "warungdewi.com"

ACTIVATED = datetime(2026, 12, 1, 10, tzinfo=WIB)  # 30-day warranty: until 31 December 2026
BROWSING = datetime(2027, 2, 15, 9, tzinfo=WIB)
WARRANTY_END = date(2026, 12, 31)
STARTED_ON = date(2027, 2, 14)

SUBJECT = "Checkout page shows error 500 since yesterday"
DESCRIPTION = (
    "Since yesterday evening the checkout page of warungdewi.com shows an error 500 "
    "when a customer presses 'Pay'. The other pages work."
)
ERROR_MESSAGE = "500 Internal Server Error — PHP Fatal error: Allowed memory size exhausted"
STEPS_TAKEN = "Cleared the cache of the shop plugin and tried from two browsers."
SCREENSHOT = "layar-checkout.png"

CANNED_TITLE = "PHP memory limit raised"
CANNED_ID = "Kami sudah menaikkan batas memori PHP situs Anda. Silakan coba lagi."
CANNED_EN = "We raised your site's PHP memory limit. Please try the checkout again."
NOTE = "INTERNAL: plugin leaks memory; offer the paid clean-up if it happens again."
RATING_COMMENT = "Fixed within the hour, thank you."


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
def service(transactional_db):
    """H7: the customer's hosting, activated on 1 December 2026 with a 30-day warranty
    and high support priority (H2), and a domain whose one-year warranty still runs."""
    with time_machine.travel(ACTIVATED, tick=False):
        contact = ContactFactory(
            user=UserFactory(email=EMAIL, language="en"),
            full_name=FULL_NAME,
            customer__name=FULL_NAME,
            accepted_terms=TermsVersionFactory(),
        )
        hosting = ServiceFactory(
            customer=contact.customer,
            product=ProductFactory(
                group=ProductGroupFactory(kind="hosting", name_id="Hosting", name_en="Hosting"),
                slug="hosting-bisnis",
                name_id=PRODUCT_NAME_ID,
                name_en=PRODUCT_NAME_EN,
                warranty_days=30,
                support_department="hosting",
                support_priority=Priority.HIGH,
            ),
            domain_name=DOMAIN,
        )
        ServiceFactory(
            customer=contact.customer,
            product=ProductFactory(
                group=ProductGroupFactory(kind="domain", name_id="Domain", name_en="Domains"),
                slug="domain-com",
                name_id="Domain .com",
                name_en="Domain .com",
                warranty_days=365,
                support_department="domains",
            ),
            domain_name=DOMAIN,
        )
    assert hosting.status == Service.Status.ACTIVE
    assert hosting.warranty_end == WARRANTY_END
    return hosting


@pytest.fixture
def other_ticket(service):
    """Another customer's ticket on a hosting service inside its warranty, opened the day
    before: the admin's "outside warranty" filter leaves it out."""
    with time_machine.travel(BROWSING - timedelta(days=1), tick=False):
        contact = ContactFactory(accepted_terms=TermsVersion.objects.get())
        hosting = ServiceFactory(customer=contact.customer, product__warranty_days=30)
        ticket = ticket_open(
            customer=contact.customer,
            opened_by=contact.user,
            category="technical",
            service=hosting,
            subject="Website shows error 500 since this morning",
            description="Every page of tokosaya.co.id shows error 500 since eight this morning.",
            error_message="500 Internal Server Error",
            steps_taken="Cleared the browser cache and tried another network.",
            started_on=BROWSING.date() - timedelta(days=1),
        )
    assert not ticket.outside_warranty
    return ticket


@pytest.fixture
def canned(transactional_db):
    """A canned reply for hosting tickets, and one for billing that they do not offer."""
    CannedReplyFactory(title="Payment received", department="billing")
    return CannedReplyFactory(
        title=CANNED_TITLE, department="hosting", body_id=CANNED_ID, body_en=CANNED_EN
    )


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


def open_the_form(page: Page, base_url: str, shot, *, service: Service) -> None:
    """H2, H7: Tickets → Open a ticket → technical; before anything is typed, the form
    has chosen the one hosting service and shows its support status, the warning that
    the ticket will be marked outside warranty, and the reply target."""
    page.locator("nav").get_by_role("link", name="Tickets").click()
    expect(page).to_have_url(f"{base_url}/tickets/")
    page.get_by_role("link", name="Open a ticket").click()
    expect(page).to_have_url(f"{base_url}/tickets/new/")
    expect(page.get_by_test_id("category-domain")).to_be_visible()
    expect(page.get_by_test_id("category-project-unavailable")).to_be_visible()
    shot(page, "categories")
    page.get_by_test_id("category-technical").click()
    expect(page).to_have_url(f"{base_url}/tickets/new/technical/")

    expect(page.locator("#id_service")).to_have_value(str(service.pk))
    expect(page.locator("#id_service option:checked")).to_have_text(
        f"{PRODUCT_NAME_EN} — {DOMAIN} (outside warranty: limited or paid help)"
    )
    status = page.get_by_test_id("outside-warranty")
    expect(status).to_contain_text(f"{PRODUCT_NAME_EN} — {DOMAIN}")
    expect(status).to_contain_text("the warranty ended on 31 December 2026")
    expect(status).to_contain_text("technical help is limited or paid")
    expect(page.get_by_test_id("warranty-warning")).to_contain_text(
        "This service is outside its warranty."
    )
    expect(page.get_by_test_id("response-target")).to_have_text(
        "Priority High: we reply within 8 hours."
    )
    expect(page.locator("#id_subject")).to_have_value("")
    shot(page, "form-before-typing")


def fill_in(page: Page) -> None:
    page.fill("#id_subject", SUBJECT)
    page.fill("#id_description", DESCRIPTION)
    page.fill("#id_domain_name", DOMAIN)
    page.fill("#id_steps_taken", STEPS_TAKEN)
    page.fill("#id_started_on", STARTED_ON.isoformat())


def expect_kept(page: Page, *, service: Service) -> None:
    """K10: nothing typed is lost."""
    expect(page.locator("#id_service")).to_have_value(str(service.pk))
    expect(page.locator("#id_subject")).to_have_value(SUBJECT)
    expect(page.locator("#id_description")).to_have_value(DESCRIPTION)
    expect(page.locator("#id_domain_name")).to_have_value(DOMAIN)
    expect(page.locator("#id_steps_taken")).to_have_value(STEPS_TAKEN)
    expect(page.locator("#id_started_on")).to_have_value(STARTED_ON.isoformat())


def leave_out_the_error_message(page: Page, base_url: str, shot, *, service: Service) -> None:
    """K10: the error message is required for a technical ticket. Left empty, the
    browser stops at that field; blanks typed to get past it are refused by the server,
    with the error beside the field and everything else still in the form."""
    fill_in(page)
    submit = page.get_by_role("button", name="Open the ticket")
    submit.click()
    error_message = page.locator("#id_error_message")
    assert error_message.evaluate("field => field.validity.valueMissing")
    expect(page).to_have_url(f"{base_url}/tickets/new/technical/")
    expect_kept(page, service=service)

    error_message.fill("   ")
    submit.click()
    expect(page.locator(".alert-danger")).to_contain_text("everything else you typed is kept")
    expect(page.locator(".is-invalid")).to_have_count(1)
    expect(error_message).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#error_1_id_error_message")).to_contain_text(
        "Copy the error message exactly as you see it"
    )
    expect_kept(page, service=service)
    # The server re-renders the status and the warning of the service that was posted.
    expect(page.get_by_test_id("warranty-warning")).to_be_visible()
    shot(page, "form-error")


def open_the_ticket(page: Page, base_url: str, shot, *, screenshot: Path) -> str:
    """K10: the missing detail filled in and a screenshot attached, the ticket opens;
    H7: its page shows the outside-warranty mark. Returns the ticket's number."""
    page.fill("#id_error_message", ERROR_MESSAGE)
    page.set_input_files("input[name='attachments']", screenshot)
    shot(page, "form-complete")
    page.get_by_role("button", name="Open the ticket").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/tickets/TKT-2027-\d{{6}}/$"))
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.locator(".alert-success")).to_contain_text(
        f"Ticket {number} is open. We reply within 8 hours."
    )
    expect(page.locator("h1")).to_have_text(f"{number}: {SUBJECT}")
    expect(page.get_by_test_id("ticket-status")).to_have_text("Open")
    expect(page.get_by_test_id("outside-warranty-badge")).to_have_text("Outside warranty")
    expect(page.get_by_test_id("warranty-warning")).to_contain_text(
        "the warranty of this service ended on 31 December 2026"
    )
    expect(page.locator("main dl")).to_contain_text(ERROR_MESSAGE)
    expect(page.locator("main dl")).to_contain_text("14 February 2027")
    [message] = page.get_by_test_id("message").all()
    expect(message).to_contain_text(DESCRIPTION)
    expect(message.get_by_role("link", name=SCREENSHOT)).to_be_visible()
    shot(page, "ticket-opened")
    return number


def download_attachment(page: Page, *, name: str) -> bytes:
    """The screenshot comes back from the customer's own attachment link, named after
    the ticket."""
    link = page.get_by_test_id("message").get_by_role("link", name=SCREENSHOT)
    with page.expect_download() as info:
        link.click()
    assert info.value.suggested_filename == name
    return Path(info.value.path()).read_bytes()


def see_the_reply(page: Page, shot) -> None:
    """K6: the staff reply is on the page; the internal note is not."""
    page.reload()
    expect(page.get_by_test_id("ticket-status")).to_have_text("Awaiting customer reply")
    thread = page.get_by_test_id("message")
    expect(thread).to_have_count(2)
    expect(thread.nth(1)).to_contain_text("Masternet support")
    expect(thread.nth(1)).to_contain_text(CANNED_EN)
    expect(page.locator("body")).not_to_contain_text(NOTE)
    expect(page.locator("body")).not_to_contain_text("INTERNAL")
    expect(page.get_by_test_id("response-target")).to_have_count(0)
    shot(page, "ticket-answered")


def close_and_rate(page: Page, shot) -> None:
    """The customer closes the solved ticket and rates the answer, once."""
    page.get_by_role("button", name="My problem is solved: close the ticket").click()
    expect(page.locator(".alert-success")).to_contain_text("The ticket is closed.")
    expect(page.get_by_test_id("ticket-status")).to_have_text("Closed")
    expect(page.locator("#id_body")).to_have_count(0)
    rating = page.get_by_test_id("rating")
    expect(rating).to_be_visible()
    rating.locator("input[name='rating'][value='5']").check()
    rating.locator("textarea[name='comment']").fill(RATING_COMMENT)
    shot(page, "rating")
    rating.get_by_role("button", name="Send rating").click()
    expect(page.locator(".alert-success")).to_contain_text("Thank you for rating our help.")
    expect(page.get_by_test_id("rating")).to_have_count(0)
    rated = page.get_by_test_id("rated")
    expect(rated).to_contain_text("★ 5/5")
    expect(rated).to_contain_text(RATING_COMMENT)
    shot(page, "rated")


# --- the staff member's steps -----------------------------------------------------------


def staff_answer(browser: Browser, base_url: str, shot, *, ticket: Ticket) -> None:
    """K6, H7: staff filter the list by "outside warranty", open the ticket, see the
    thread and the customer's services with their support status, send a canned reply
    (filled in the customer's language by canned-replies.js) and add an internal note.
    Staff work in Indonesian."""
    changelist = "/admin/tickets/ticket/"
    change_url = re.compile(rf"^{re.escape(base_url)}/admin/tickets/ticket/{ticket.pk}/change/")
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
        expect(rows).to_have_count(2)
        shot(admin, "admin-changelist")

        admin.locator("#changelist-filter a[href*='outside_warranty__exact=1']").click()
        expect(admin).to_have_url(re.compile(r"[?&]outside_warranty__exact=1\b"))
        expect(rows).to_have_count(1)
        expect(rows).to_contain_text(ticket.number)
        expect(rows.locator(".field-warranty_badge")).to_have_text("di luar masa garansi")
        shot(admin, "admin-outside-warranty")
        rows.get_by_role("link", name=ticket.number).click()
        expect(admin).to_have_url(change_url)

        thread = admin.get_by_test_id("admin-thread")
        expect(thread.locator("article")).to_have_count(1)
        expect(thread).to_contain_text(DESCRIPTION)
        expect(thread.get_by_role("link", name=SCREENSHOT)).to_be_visible()
        services = admin.get_by_test_id("admin-services")
        hosting = services.locator("tbody tr").filter(has_text=PRODUCT_NAME_ID)
        expect(hosting).to_contain_text("Di luar masa garansi: terbatas atau berbayar")
        expect(hosting).to_contain_text("tiket ini")
        domain = services.locator("tbody tr").filter(has_text="Domain .com")
        expect(domain).to_contain_text("Garansi hingga 1 Des 2027")
        expect(services).to_contain_text("Pelanggan membaca email dalam: Bahasa Inggris.")
        expect(admin.locator(".fieldBox.field-warranty_badge .readonly")).to_have_text(
            "di luar masa garansi"
        )

        canned_reply = admin.locator("#id_canned_reply")
        expect(canned_reply.locator("option")).to_have_text(["---------", CANNED_TITLE])
        canned_reply.select_option(label=CANNED_TITLE)
        reply = admin.locator("#id_reply")
        expect(reply).to_have_value(CANNED_EN)  # the customer's language, not the staff's
        expect(reply).to_be_focused()
        shot(admin, "admin-canned-reply")
        admin.locator("input[name='_continue']").click()
        expect(admin).to_have_url(change_url)
        expect(admin.locator(".messagelist .success")).to_be_visible()
        expect(admin.locator(".errorlist")).to_have_count(0)
        expect(thread.locator("article")).to_have_count(2)
        expect(thread.locator("article.staff")).to_contain_text(CANNED_EN)
        expect(reply).to_have_value("")

        reply.fill(NOTE)
        admin.locator("#id_internal").check()
        shot(admin, "admin-internal-note")
        admin.locator("input[name='_continue']").click()
        expect(admin).to_have_url(change_url)
        expect(admin.locator(".messagelist .success")).to_be_visible()
        expect(admin.locator(".errorlist")).to_have_count(0)
        expect(thread.locator("article")).to_have_count(3)
        note = thread.locator("article.internal")
        expect(note).to_contain_text("Catatan internal")
        expect(note).to_contain_text(NOTE)
        expect(admin.locator("#id_internal")).not_to_be_checked()
        shot(admin, "admin-answered")
    finally:
        context.close()


# --- the journey ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_k6_k10_h2_h7_ticket_outside_warranty_is_answered_and_rated(
    page: Page, browser: Browser, live_server, staff, service, other_ticket, canned, tmp_path, shot
):
    base_url = live_server.url
    customer = service.customer
    screenshot = tmp_path / SCREENSHOT
    screenshot.write_bytes(png_bytes())

    with time_machine.travel(BROWSING, tick=True):
        log_in(page, base_url, shot)
        open_the_form(page, base_url, shot, service=service)
        leave_out_the_error_message(page, base_url, shot, service=service)
        assert not customer.tickets.exists(), "a refused form stores nothing"

        mail.outbox.clear()
        number = open_the_ticket(page, base_url, shot, screenshot=screenshot)
        ticket = Ticket.objects.get(customer=customer)
        assert ticket.number == number
        assert (ticket.service, ticket.opened_by.email) == (service, EMAIL)
        assert (ticket.category, ticket.department) == ("technical", "hosting")
        assert ticket.priority == Priority.HIGH
        assert ticket.status == Ticket.Status.OPEN
        assert (ticket.outside_warranty, ticket.warranty_end) == (True, WARRANTY_END)
        assert (ticket.subject, ticket.domain_name) == (SUBJECT, DOMAIN)
        assert (ticket.error_message, ticket.steps_taken) == (ERROR_MESSAGE, STEPS_TAKEN)
        assert ticket.started_on == STARTED_ON
        # H2: high priority, 8 hours; the server thread read the travelled clock.
        assert ticket.created_at.astimezone(WIB).date() == BROWSING.date()
        assert ticket.response_due_at == ticket.created_at + timedelta(hours=8)
        with translation.override("en"):  # the page is in English
            due = date_format(ticket.response_due_at.astimezone(WIB), "j F Y H:i")
        expect(page.get_by_test_id("response-target")).to_have_text(
            f"We reply within 8 hours: by {due} WIB."
        )
        [first] = ticket.messages.all()
        assert (first.body, first.from_staff, first.internal) == (DESCRIPTION, False, False)
        [attachment] = first.attachments.all()
        assert (attachment.original_name, attachment.content_type) == (SCREENSHOT, "image/png")
        downloaded = download_attachment(page, name=f"{number}-{attachment.pk}.png")
        assert downloaded == screenshot.read_bytes()
        # K6: staff hear of the new ticket.
        [told] = [m for m in mail.outbox if number in m.subject]
        assert told.to == [STAFF_EMAIL]

        mail.outbox.clear()
        staff_answer(browser, base_url, shot, ticket=ticket)

        ticket.refresh_from_db()
        assert ticket.status == Ticket.Status.AWAITING_CUSTOMER
        assert ticket.first_response_at is not None
        assert ticket.response_due_at is None, "the customer has to answer now"
        assert ticket.messages.count() == 3
        reply, note = ticket.messages.filter(from_staff=True).order_by("created_at", "pk")
        assert (reply.author, reply.body, reply.internal) == (staff, CANNED_EN, False)
        assert (note.author, note.body, note.internal) == (staff, NOTE, True)
        assert ticket.history.filter(history_user=staff).exists()
        assert CannedReply.objects.count() == 2, "the canned reply itself is unchanged"
        # The customer is told of the reply, in English; never of the internal note.
        [answer] = mail.outbox
        assert answer.to == [EMAIL]
        assert answer.subject == f"[{number}] New reply: {SUBJECT}"
        assert CANNED_EN in answer.body
        assert f"/tickets/{number}/" in answer.body
        assert all(NOTE not in m.body for m in mail.outbox)

        see_the_reply(page, shot)
        close_and_rate(page, shot)

    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED
    assert ticket.closed_at.astimezone(WIB).date() == BROWSING.date()
    assert (ticket.rating, ticket.rating_comment) == (5, RATING_COMMENT)
    assert ticket.rated_at is not None
    assert Message.objects.filter(ticket=ticket).count() == 3
    assert Message.objects.filter(ticket=ticket, internal=True).count() == 1
    assert ticket.history.first().history_user.email == EMAIL
