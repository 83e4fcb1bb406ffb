"""Demo data for `make run`: idempotent, safe to run at every start."""

from pathlib import Path

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from customers import services
from customers.models import (
    Contact,
    Customer,
    DocumentKind,
    IdentityDocument,
    TermsVersion,
    User,
)
from help.seed import load_articles
from orders.demo import load_catalogue, load_demo_services

POLICY = Path(__file__).resolve().parents[3] / "customers" / "policy"
STAFF_EMAIL, STAFF_PASSWORD = "staff@masternet.test", "staff-demo-2026"
CUSTOMER_EMAIL, CUSTOMER_PASSWORD = "budi@example.co.id", "budi-demo-2026"

# A one-pixel PNG stands in for the demo customer's KTP scan.
DEMO_SCAN = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


class Command(BaseCommand):
    help = (
        "Load the demo: terms, one staff user, one customer with a verified identity, "
        "the catalogue and the bank accounts."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        terms = self._terms()
        staff = self._staff()
        customer = self._customer(terms=terms, staff=staff)
        load_catalogue()
        load_articles()
        load_demo_services(customer=customer, staff=staff)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo logins (http://127.0.0.1:8000/):\n"
                f"  customer: {CUSTOMER_EMAIL} / {CUSTOMER_PASSWORD}\n"
                f"  staff:    {STAFF_EMAIL} / {STAFF_PASSWORD}  (admin: /admin/)"
            )
        )

    def _terms(self) -> TermsVersion:
        terms, _ = TermsVersion.objects.get_or_create(
            version="2026.1",
            defaults={
                "published_at": timezone.now(),
                "summary_id": "Versi pertama di portal pelanggan.",
                "summary_en": "First version in the customer portal.",
                "text_id": (POLICY / "hak-dan-kewajiban-pelanggan.id.txt").read_text(),
                "text_en": (POLICY / "customer-rights-and-obligations.en.txt").read_text(),
            },
        )
        return terms

    def _staff(self) -> User:
        staff = User.objects.filter(email=STAFF_EMAIL).first()
        if staff is None:
            staff = User.objects.create_superuser(
                STAFF_EMAIL, STAFF_PASSWORD, first_name="Sari", last_name="Staf"
            )
            self._verified_email(staff)
        return staff

    def _verified_email(self, user: User) -> None:
        from allauth.account.models import EmailAddress

        EmailAddress.objects.get_or_create(
            user=user, email=user.email, defaults={"verified": True, "primary": True}
        )

    def _customer(self, *, terms: TermsVersion, staff: User) -> Customer:
        contact = Contact.objects.filter(user__email=CUSTOMER_EMAIL).first()
        if contact is not None:
            return contact.customer
        user = User.objects.create_user(
            CUSTOMER_EMAIL, CUSTOMER_PASSWORD, first_name="Budi", last_name="Santoso"
        )
        self._verified_email(user)
        services.terms_accept(user=user, terms=terms, ip_address="127.0.0.1")
        customer = services.customer_create(
            user=user,
            kind=Customer.Kind.PERSON,
            name="Budi Santoso",
            address="Jl. Merdeka No. 10",
            city="Bandung",
            postal_code="40111",
            phone="022 1234 5678",
            contact_name="Budi Santoso",
            contact_phone="0812 3456 7890",
        )
        document = IdentityDocument(
            customer=customer,
            kind=DocumentKind.KTP,
            number="3273011708850001",
            holder_name="Budi Santoso",
            scan_content_type="image/png",
            scan_extension=".png",
            uploaded_by=user,
        )
        document.scan.save("ktp.png", ContentFile(DEMO_SCAN), save=False)
        document.save()
        services.identity_document_verify(document=document, staff=staff)
        return customer
