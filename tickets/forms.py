"""Input validation for tickets (K10). No side effects: views call services."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core import clock
from core.validators import detect_attachment_kind
from tickets.models import Category
from tickets.rules import (
    DETAIL_FIELDS,
    REQUIRED_MESSAGES,
    REQUIREMENTS,
    SupportStatus,
    check_service_fits,
    validate_ticket_details,
)
from tickets.services import MAX_ATTACHMENTS, MAX_BODY_CHARS


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """K10: several files, each checked by its content (image, PDF or text log).

    Cleans to a list of (file, UploadKind) pairs; a refused file is named in the error.
    """

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attachments"))
        kwargs.setdefault(
            "help_text",
            _(
                "Screenshots (JPEG, PNG), PDF or text logs (.txt, .log); up to %(count)d "
                "files of at most 5 MB each."
            )
            % {"count": MAX_ATTACHMENTS},
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, list | tuple) else [data]
        files = [super(AttachmentsField, self).clean(item, initial) for item in items if item]
        files = [file for file in files if file]
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(files) > MAX_ATTACHMENTS:
            raise ValidationError(
                _("Attach at most %(count)d files to one message.") % {"count": MAX_ATTACHMENTS}
            )
        cleaned, errors = [], []
        for file in files:
            try:
                cleaned.append((file, detect_attachment_kind(file)))
            except ValidationError as exc:
                errors.extend(f"{file.name}: {message}" for message in exc.messages)
        if errors:
            raise ValidationError(errors)
        return cleaned


class _Form(forms.Form):
    submit_label = _("Send")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_enctype = "multipart/form-data"
        self.helper.add_input(Submit("submit", self.submit_label))


class TicketForm(_Form):
    """K10: what the category needs, each error beside its field; H7: each service
    option says whether it is inside its warranty."""

    submit_label = _("Open the ticket")

    service = forms.ModelChoiceField(label=_("Service"), queryset=None)
    subject = forms.CharField(label=_("Subject"), max_length=150)
    description = forms.CharField(
        label=_("Describe the problem"),
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What did you do, what did you expect, and what happened instead?"),
    )
    domain_name = forms.CharField(label=_("Domain name"), max_length=253)
    error_message = forms.CharField(
        label=_("Error message"),
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Copy it exactly, or attach a screenshot as well."),
    )
    steps_taken = forms.CharField(
        label=_("What have you already tried?"),
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    started_on = forms.DateField(
        label=_("When did it start?"), widget=forms.DateInput(attrs={"type": "date"})
    )
    attachments = AttachmentsField()

    def __init__(self, *args, category: str, statuses: list[SupportStatus], **kwargs):
        super().__init__(*args, **kwargs)
        self.category = Category(category)
        requirements = REQUIREMENTS[self.category]
        self.statuses = {status.service.pk: status for status in statuses}
        service = self.fields["service"]
        service.queryset = _queryset_of(statuses)
        service.required = requirements.needs_service
        service.label_from_instance = self._service_label
        if requirements.needs_service:
            service.error_messages["required"] = _(
                "Choose the service this is about: staff need to know which one."
            )
        else:
            service.empty_label = _("None: it is about my account or an invoice")
            service.help_text = _("Optional: the service the question is about.")
        for name in DETAIL_FIELDS:
            if name not in requirements.fields:
                del self.fields[name]
            else:
                self.fields[name].required = name in requirements.required
                self.fields[name].error_messages["required"] = REQUIRED_MESSAGES[name]

    def _service_label(self, service) -> str:
        status = self.statuses[service.pk]
        name = service.product.name
        if service.detail:
            name = f"{name} — {service.detail}"
        if not status.active:
            note = service.get_status_display()
        elif status.in_warranty:
            note = _("warranty until %(date)s") % {
                "date": date_format(status.warranty_end, "j M Y")
            }
        else:
            note = _("outside warranty: limited or paid help")
        return f"{name} ({note})"

    def selected_status(self) -> SupportStatus | None:
        """The chosen service's support status, from what was posted or the initial."""
        value = self.data.get("service") if self.is_bound else self.initial.get("service")
        try:
            return self.statuses.get(int(getattr(value, "pk", value)))
        except (TypeError, ValueError):
            return None

    def clean(self):
        cleaned = super().clean()
        service = cleaned.get("service")
        status = self.statuses.get(service.pk) if service else None
        if "service" not in self.errors:
            try:
                check_service_fits(category=self.category, status=status)
            except ValidationError as exc:
                self._add_new_errors(exc)
        try:
            details = validate_ticket_details(
                category=self.category,
                subject=cleaned.get("subject", ""),
                description=cleaned.get("description", ""),
                today=clock.today(),
                domain_name=cleaned.get("domain_name") or "",
                error_message=cleaned.get("error_message") or "",
                steps_taken=cleaned.get("steps_taken") or "",
                started_on=cleaned.get("started_on"),
            )
        except ValidationError as exc:
            self._add_new_errors(exc)
        else:
            cleaned.update(details)
        return cleaned

    def _add_new_errors(self, exc: ValidationError) -> None:
        for field, errors in exc.error_dict.items():
            if field not in self.errors:
                self.add_error(field if field in self.fields else None, errors)


def _queryset_of(statuses: list[SupportStatus]):
    from orders.models import Service

    return Service.objects.filter(pk__in=[status.service.pk for status in statuses]).select_related(
        "product", "plan"
    )


class ReplyForm(_Form):
    submit_label = _("Send reply")

    body = forms.CharField(
        label=_("Your reply"),
        max_length=MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = AttachmentsField()


class RatingForm(_Form):
    submit_label = _("Send rating")

    rating = forms.TypedChoiceField(
        label=_("How good was our help?"),
        choices=[(n, "★" * n) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
