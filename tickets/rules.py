"""The support rules of the policy, as pure functions (no database): which departments
a customer may open tickets in and at what priority (H2), whether a service is inside
its support and warranty period (H1, H7), and what each category asks for (K10)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.models import Department, Priority, Service
from orders.validators import normalise_domain, validate_domain_name
from tickets.models import Category

# H2: how soon we answer, by priority. Calendar hours, counted from the customer's message.
RESPONSE_TARGET_HOURS = {
    Priority.LOW: 48,
    Priority.NORMAL: 24,
    Priority.HIGH: 8,
    Priority.URGENT: 4,
}

# H2: every account may ask about billing and general matters; the other departments
# come with an active service whose product names them (a custom project's too).
ALWAYS_OPEN = frozenset({Department.BILLING, Department.GENERAL})

CATEGORY_DEPARTMENT = {
    Category.TECHNICAL: Department.HOSTING,
    Category.DOMAIN: Department.DOMAINS,
    Category.PROJECT: Department.PROJECTS,
    Category.BILLING: Department.BILLING,
    Category.OTHER: Department.GENERAL,
}

# Tickets about how a service works: they need the service, and H7 marks them when the
# service is outside its warranty.
TECHNICAL_CATEGORIES = frozenset({Category.TECHNICAL, Category.DOMAIN, Category.PROJECT})


@dataclass(frozen=True)
class Requirements:
    """K10: the details a category asks for, besides a subject and a description."""

    needs_service: bool
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        return self.required + self.optional


REQUIREMENTS = {
    Category.TECHNICAL: Requirements(
        needs_service=True,
        required=("error_message", "steps_taken", "started_on"),
        optional=("domain_name",),
    ),
    Category.DOMAIN: Requirements(
        needs_service=True,
        required=("domain_name", "steps_taken"),
        optional=("error_message", "started_on"),
    ),
    Category.PROJECT: Requirements(
        needs_service=True, required=("steps_taken",), optional=("started_on",)
    ),
    Category.BILLING: Requirements(needs_service=False),
    Category.OTHER: Requirements(needs_service=False, optional=("domain_name",)),
}

DETAIL_FIELDS = ("domain_name", "error_message", "steps_taken", "started_on")
MIN_DESCRIPTION_CHARS = 40
MIN_DESCRIPTION_WORDS = 6
MIN_SUBJECT_CHARS = 8
MIN_STEPS_CHARS = 15


def response_hours(priority: int) -> int:
    return RESPONSE_TARGET_HOURS[Priority(priority)]


def reopen_window() -> timedelta:
    """How long after closing the customer may reopen a ticket (``TICKET_REOPEN_DAYS``)."""
    return timedelta(days=settings.TICKET_REOPEN_DAYS)


@dataclass(frozen=True)
class SupportStatus:
    """H1, H7: what help one service is entitled to today."""

    service: Service
    active: bool
    in_warranty: bool
    warranty_end: date | None
    department: str
    priority: int

    @property
    def response_hours(self) -> int:
        return response_hours(self.priority)

    @property
    def priority_label(self) -> str:
        return Priority(self.priority).label

    @property
    def outside_warranty(self) -> bool:
        return not self.in_warranty

    @property
    def summary(self) -> str:
        """One sentence a customer reads before complaining (H1, H7)."""
        if not self.active:
            return _(
                "This service is %(status)s: it has no technical support now. For payment "
                "questions open a billing ticket."
            ) % {"status": self.service.get_status_display().lower()}
        if self.in_warranty:
            return _(
                "Inside its support period and warranty (until %(date)s): technical help "
                "is included."
            ) % {"date": date_format(self.warranty_end, "j F Y")}
        if self.warranty_end:
            return _(
                "Inside its support period, but the warranty ended on %(date)s: technical "
                "help is limited or paid."
            ) % {"date": date_format(self.warranty_end, "j F Y")}
        return _(
            "Inside its support period. This product has no technical warranty: technical "
            "help is limited or paid."
        )


def support_status(service: Service, *, today: date) -> SupportStatus:
    """H1, H7: a service is supported while active; its warranty runs until warranty_end.
    H2: its product names the department; its plan (or else its product) the priority."""
    return SupportStatus(
        service=service,
        active=service.status == Service.Status.ACTIVE,
        in_warranty=service.warranty_end is not None and service.warranty_end >= today,
        warranty_end=service.warranty_end,
        department=service.product.support_department,
        priority=service.support_priority,
    )


@dataclass(frozen=True)
class Entitlement:
    """H2: the departments a customer may open tickets in, and its best priority."""

    departments: frozenset[str]
    priority: int

    def allows(self, category: str) -> bool:
        return CATEGORY_DEPARTMENT[Category(category)] in self.departments

    @property
    def categories(self) -> list[str]:
        return [category for category in Category if self.allows(category)]

    @property
    def response_hours(self) -> int:
        return response_hours(self.priority)


def entitlement_from(active_services: Iterable[tuple[str, int]]) -> Entitlement:
    """H2: from the (support department, support priority) of each *active* service:
    the department of its product, the priority of its plan or else of its product.
    No active service: billing and general questions at normal priority."""
    departments = set(ALWAYS_OPEN)
    priority = Priority.NORMAL
    for department, service_priority in active_services:
        departments.add(department)
        priority = max(priority, service_priority)
    return Entitlement(frozenset(departments), int(priority))


@dataclass(frozen=True)
class TicketTerms:
    """H2, H7: what a new ticket gets: department, priority, target, warranty mark."""

    department: str
    priority: int
    outside_warranty: bool
    warranty_end: date | None

    @property
    def response_hours(self) -> int:
        return response_hours(self.priority)


def ticket_terms(
    *, category: str, status: SupportStatus | None, entitlement: Entitlement
) -> TicketTerms:
    """H2: the category decides the department; the service's plan or product (or,
    without a service, the account's best active service) decides the priority. H7: a
    technical ticket on a service outside its warranty is marked."""
    category = Category(category)
    technical = category in TECHNICAL_CATEGORIES and status is not None
    return TicketTerms(
        department=CATEGORY_DEPARTMENT[category],
        priority=status.priority if status is not None else entitlement.priority,
        outside_warranty=technical and status.outside_warranty,
        warranty_end=status.warranty_end if status is not None else None,
    )


def check_service_fits(*, category: str, status: SupportStatus | None) -> None:
    """K6, H2: a technical ticket is about an active service of the category's department."""
    category = Category(category)
    if not REQUIREMENTS[category].needs_service:
        return
    if status is None:
        raise ValidationError(
            {"service": _("Choose the service this is about: staff need to know which one.")}
        )
    if status.department != CATEGORY_DEPARTMENT[category]:
        raise ValidationError(
            {
                "service": _(
                    "%(service)s is not a %(category)s service. Choose another service or "
                    "another kind of question."
                )
                % {"service": status.service, "category": category.label.lower()}
            }
        )
    if not status.active:
        raise ValidationError({"service": status.summary})


def validate_ticket_details(
    *,
    category: str,
    subject: str,
    description: str,
    today: date,
    domain_name: str = "",
    error_message: str = "",
    steps_taken: str = "",
    started_on: date | None = None,
) -> dict:
    """K10: a subject and a description of real length, and the details the category
    asks for. Raises one ValidationError naming every field that is missing or bad;
    returns the cleaned details (only those the category uses)."""
    requirements = REQUIREMENTS[Category(category)]
    errors: dict[str, list[str]] = {}
    values = {
        "domain_name": normalise_domain(domain_name),
        "error_message": (error_message or "").strip(),
        "steps_taken": (steps_taken or "").strip(),
        "started_on": started_on,
    }
    subject = " ".join((subject or "").split())
    if len(subject) < MIN_SUBJECT_CHARS:
        errors["subject"] = [
            _(
                "Give the ticket a subject of at least %(count)d characters, for example "
                "“Website shows error 500 since this morning”."
            )
            % {"count": MIN_SUBJECT_CHARS}
        ]
    text = " ".join((description or "").split())
    if len(text) < MIN_DESCRIPTION_CHARS or len(text.split()) < MIN_DESCRIPTION_WORDS:
        errors["description"] = [
            _(
                "Describe the problem in at least %(count)d characters: what you did, what "
                "you expected and what happened instead."
            )
            % {"count": MIN_DESCRIPTION_CHARS}
        ]
    for name in requirements.required:
        if not values[name]:
            errors[name] = [REQUIRED_MESSAGES[name]]
    if "domain_name" not in errors and values["domain_name"]:
        try:
            validate_domain_name(values["domain_name"])
        except ValidationError as exc:
            errors["domain_name"] = exc.messages
    if "steps_taken" not in errors and 0 < len(values["steps_taken"]) < MIN_STEPS_CHARS:
        errors["steps_taken"] = [
            _("Tell us a little more about what you already tried (a sentence is enough).")
        ]
    if values["started_on"] and values["started_on"] > today:
        errors["started_on"] = [_("This date is in the future.")]
    if errors:
        raise ValidationError(errors)
    used = requirements.fields
    return {name: values[name] if name in used else EMPTY[name] for name in DETAIL_FIELDS}


EMPTY = {"domain_name": "", "error_message": "", "steps_taken": "", "started_on": None}

REQUIRED_MESSAGES = {
    "domain_name": gettext_lazy("Which domain is it about? For example tokosaya.co.id."),
    "error_message": gettext_lazy(
        "Copy the error message exactly as you see it (or write “no message” and describe "
        "what you see)."
    ),
    "steps_taken": gettext_lazy(
        "What have you already tried? For example: cleared the cache, restarted the site."
    ),
    "started_on": gettext_lazy("When did it start? Pick the day."),
}
