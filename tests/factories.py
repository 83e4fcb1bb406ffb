"""factory_boy factories for the portal's models."""

import io
from datetime import timedelta
from decimal import Decimal

import factory
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factory.django import DjangoModelFactory
from PIL import Image

from customers.models import (
    Contact,
    Customer,
    DocumentKind,
    IdentityDocument,
    Role,
    TermsAcceptance,
    TermsVersion,
    User,
)
from invoices.models import BankAccount
from orders.models import BillingCycle, Plan, Product, ProductGroup, TldPrice

PASSWORD = "correct-horse-battery-9"
VALID_NIK = "3273011708850001"  # Bandung, born 17 August 1985, man
VALID_NIK_WOMAN = "3273015708850002"  # same day, woman (17 + 40)


def png_bytes(size=(24, 16)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(size=(24, 16)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 30, 200)).save(buffer, format="JPEG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), (255, 255, 255)).save(buffer, format="PDF")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.co.id")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        """allauth's EmailAddress, verified, so the user can log in."""
        if create:
            from allauth.account.models import EmailAddress

            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class TermsVersionFactory(DjangoModelFactory):
    class Meta:
        model = TermsVersion

    version = factory.Sequence(lambda n: f"2026.{n + 1}")
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    summary_id = "Perubahan kecil."
    summary_en = "Small changes."
    text_id = "Syarat dan ketentuan layanan Masternet."
    text_en = "Masternet terms of service."


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    kind = Customer.Kind.PERSON
    name = factory.Faker("name", locale="id_ID")
    address = "Jl. Asia Afrika No. 1"
    city = "Bandung"
    postal_code = "40111"
    phone = "022 7654 3210"


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.RESPONSIBLE
    full_name = factory.Faker("name", locale="id_ID")
    phone = "0812 3456 7890"

    @factory.post_generation
    def accepted_terms(self, create, extracted, **kwargs):
        if create and extracted is not None:
            TermsAcceptance.objects.create(user=self.user, terms=extracted, ip_address="127.0.0.1")


class IdentityDocumentFactory(DjangoModelFactory):
    class Meta:
        model = IdentityDocument

    customer = factory.SubFactory(CustomerFactory)
    kind = DocumentKind.KTP
    number = VALID_NIK
    holder_name = factory.LazyAttribute(lambda o: o.customer.name)
    scan = factory.LazyFunction(lambda: ContentFile(png_bytes(), name="ktp.png"))
    scan_content_type = "image/png"
    scan_extension = ".png"
    uploaded_by = factory.LazyAttribute(
        lambda o: o.customer.contacts.first().user if o.customer.contacts.exists() else None
    )


# --- Catalogue and billing ---------------------------------------------------


class ProductGroupFactory(DjangoModelFactory):
    class Meta:
        model = ProductGroup
        django_get_or_create = ["slug"]

    kind = ProductGroup.Kind.HOSTING
    slug = factory.LazyAttribute(lambda o: o.kind)
    name_id = factory.LazyAttribute(lambda o: o.kind.title())
    name_en = factory.LazyAttribute(lambda o: o.kind.title())


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    group = factory.SubFactory(ProductGroupFactory)
    slug = factory.Sequence(lambda n: f"product-{n}")
    name_id = factory.Sequence(lambda n: f"Hosting {n}")
    name_en = factory.Sequence(lambda n: f"Hosting {n}")
    warranty_days = 30


class PlanFactory(DjangoModelFactory):
    class Meta:
        model = Plan

    product = factory.SubFactory(ProductFactory)
    name = "1 GB"
    cycle = BillingCycle.MONTHLY
    price = Decimal("100000")
    setup_fee = Decimal("0")


class TldPriceFactory(DjangoModelFactory):
    class Meta:
        model = TldPrice
        django_get_or_create = ["tld"]

    tld = ".com"
    register_price = Decimal("165000")
    transfer_price = Decimal("150000")
    renew_price = Decimal("175000")


class BankAccountFactory(DjangoModelFactory):
    class Meta:
        model = BankAccount

    bank = "BCA"
    account_number = "437 0123 456"
    holder = "PT Masternet Indonesia"


# --- Services and tickets (K6, H2, H7) ---------------------------------------
# Models named by "app.Model" so this section needs no imports of its own.


class OrderFactory(DjangoModelFactory):
    class Meta:
        model = "orders.Order"

    customer = factory.SubFactory(CustomerFactory)
    placed_by = factory.SubFactory(UserFactory)
    aup_accepted_at = factory.LazyFunction(timezone.now)
    aup_version = "2026.1"


class ServiceFactory(DjangoModelFactory):
    """An active hosting service; its warranty runs ``product.warranty_days`` from today."""

    class Meta:
        model = "orders.Service"

    customer = factory.SubFactory(CustomerFactory)
    order = factory.SubFactory(OrderFactory, customer=factory.SelfAttribute("..customer"))
    product = factory.SubFactory(ProductFactory, support_department="hosting")
    domain_name = "tokosaya.co.id"
    cycle = BillingCycle.MONTHLY
    recurring_price = Decimal("100000")
    status = "active"
    period_start = factory.LazyFunction(timezone.localdate)
    activated_at = factory.LazyFunction(timezone.now)
    warranty_end = factory.LazyAttribute(
        lambda o: (
            timezone.localdate() + timedelta(days=o.product.warranty_days)
            if o.product.warranty_days
            else None
        )
    )


class TicketFactory(DjangoModelFactory):
    """A ticket inserted directly (numbers TKT-2000-…, never taken by the sequence)."""

    class Meta:
        model = "tickets.Ticket"

    number = factory.Sequence(lambda n: f"TKT-2000-{n + 1:06d}")
    customer = factory.SubFactory(CustomerFactory)
    category = "other"
    department = "general"
    priority = 2
    status = "open"
    subject = "Website shows error 500 since this morning"
    opened_by = factory.SubFactory(UserFactory)


class MessageFactory(DjangoModelFactory):
    class Meta:
        model = "tickets.Message"

    ticket = factory.SubFactory(TicketFactory)
    author = factory.LazyAttribute(lambda o: o.ticket.opened_by)
    body = "Since this morning the shop shows error 500 on every page, even the home page."


class CannedReplyFactory(DjangoModelFactory):
    class Meta:
        model = "tickets.CannedReply"

    title = "Cache cleared"
    body_id = "Kami sudah membersihkan cache situs Anda. Silakan coba lagi."
    body_en = "We cleared your site's cache. Please try again."


class ArticleFactory(DjangoModelFactory):
    class Meta:
        model = "help.Article"

    topic = "support"
    slug = factory.Sequence(lambda n: f"artikel-{n}")
    title_id = factory.Sequence(lambda n: f"Artikel bantuan {n}")
    title_en = factory.Sequence(lambda n: f"Help article {n}")
    body_id = "Isi artikel dalam bahasa Indonesia."
    body_en = "The article's text in English."
    is_published = True
