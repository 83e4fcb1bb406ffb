"""Staff screens for the catalogue, orders and services.

Staff orders go through ``order_place`` like the customer's (K2); status changes go
through ``service_set_status`` with a reason (audited).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from core import clock
from core.admin_actions import reason_action
from core.client_ip import client_ip
from customers.models import Customer
from invoices.jobs import due_for_termination
from orders import services
from orders.cart import CartItem
from orders.models import Order, Plan, Product, ProductGroup, Service, TldPrice
from orders.pricing import price_items
from orders.validators import normalise_domain, validate_domain_name


@admin.register(ProductGroup)
class ProductGroupAdmin(admin.ModelAdmin):
    list_display = ["name_id", "kind", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name_en"]}
    fields = ["kind", "slug", "name_id", "name_en", "description_id", "description_en", "position"]


class PlanInline(admin.TabularInline):
    model = Plan
    fields = ["name", "cycle", "price", "setup_fee", "support_priority", "is_active"]
    extra = 0


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = [
        "name_id",
        "group",
        "is_active",
        "warranty_days",
        "requires_verified_identity",
        "free_migration",
        "support_department",
        "support_priority",
    ]
    list_filter = ["group", "is_active", "support_department"]
    list_select_related = ["group"]
    search_fields = ["name_id", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [PlanInline]
    fields = [
        "group",
        "slug",
        "name_id",
        "name_en",
        "description_id",
        "description_en",
        "is_active",
        "position",
        "needs_domain",
        "applies_ppn",
        "warranty_days",
        "requires_verified_identity",
        "free_migration",
        "support_department",
        "support_priority",
    ]


@admin.register(TldPrice)
class TldPriceAdmin(SimpleHistoryAdmin):
    list_display = [
        "tld",
        "register_price",
        "transfer_price",
        "renew_price",
        "requires_company_documents",
        "is_active",
    ]
    fields = list_display


class StaffOrderForm(forms.ModelForm):
    """K2: one item ordered by staff for a customer; the same rules as the portal."""

    product = forms.ModelChoiceField(queryset=Product.objects.filter(is_active=True))
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.filter(is_active=True).select_related("product"), required=False
    )
    domain_name = forms.CharField(required=False, max_length=253)
    domain_action = forms.ChoiceField(
        choices=[("", "—"), *Service.DomainAction.choices], required=False
    )
    aup_confirmed = forms.BooleanField(
        label=_("The customer acknowledged the acceptable use policy (K9)"), required=True
    )

    class Meta:
        model = Order
        fields = ["customer", "staff_note"]

    def clean(self):
        cleaned = super().clean()
        product, plan = cleaned.get("product"), cleaned.get("plan")
        customer: Customer | None = cleaned.get("customer")
        if not product or not customer:
            return cleaned
        domain = cleaned.get("domain_name", "")
        if domain:
            try:
                validate_domain_name(domain)
            except ValidationError as exc:
                self.add_error("domain_name", exc)
                return cleaned
            cleaned["domain_name"] = domain = normalise_domain(domain)
        if not product.is_domain and (plan is None or plan.product_id != product.pk):
            self.add_error("plan", _("Choose a plan of this product."))
            return cleaned
        item = CartItem(
            product_id=product.pk,
            plan_id=plan.pk if plan and not product.is_domain else None,
            domain_name=domain,
            domain_action=cleaned.get("domain_action", ""),
        )
        priced = price_items([item], start=clock.today())
        if not priced:
            raise ValidationError(_("This product cannot be priced (domain extension not sold?)."))
        steps = services.order_blockers(customer=customer, items=priced)
        if steps:
            raise ValidationError(
                _("The customer cannot order yet: %(steps)s")
                % {"steps": "; ".join(f"{s.title} ({s.detail})" for s in steps)}
            )
        self.cart_item = item
        return cleaned


def _activate(*, override: bool):
    """H1, K3, K8: activation by staff, refused when unpaid or unverified unless they
    override the checks; the reason is recorded in the service's history."""

    def apply(service, *, staff, reason):
        services.service_activate_by_staff(
            service=service, staff=staff, reason=reason, override=override
        )

    return apply


def _set_status(status):
    def apply(service, *, staff, reason):
        services.service_set_status(service=service, status=status, actor=staff, reason=reason)

    return apply


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["__str__", "customer", "placed_by", "placed_at", "aup_version"]
    list_select_related = ["customer", "placed_by"]
    search_fields = ["=id", "customer__name"]
    show_full_result_count = False
    readonly_fields = [
        "customer",
        "placed_by",
        "placed_at",
        "aup_accepted_at",
        "aup_ip_address",
        "aup_version",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = StaffOrderForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return [
                "customer",
                "product",
                "plan",
                "domain_name",
                "domain_action",
                "aup_confirmed",
                "staff_note",
            ]
        return [*self.readonly_fields, "staff_note"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["staff_note"])
            return
        order = services.order_place(
            customer=form.cleaned_data["customer"],
            placed_by=request.user,
            items=[form.cart_item],
            aup_accepted=form.cleaned_data["aup_confirmed"],
            ip_address=client_ip(request),
            staff_note=form.cleaned_data["staff_note"],
        )
        obj.pk = order.pk  # the admin's log entry and redirect point at the new order
        obj.placed_at = order.placed_at
        messages.info(request, _("Invoice %(n)s was issued.") % {"n": order.invoices.get()})


class TerminationFilter(admin.SimpleListFilter):
    """Suspended services whose invoice stays unpaid past the termination limit."""

    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("terminate", _("Due for termination"))]

    def queryset(self, request, queryset):
        if self.value() == "terminate":
            return queryset.filter(pk__in=due_for_termination().values("pk"))
        return queryset


@admin.register(Service)
class ServiceAdmin(SimpleHistoryAdmin):
    """H1: status changes are actions with a reason, recorded in the history."""

    list_display = [
        "__str__",
        "customer",
        "status",
        "cycle",
        "recurring_price",
        "period_end",
        "next_due_date",
        "warranty_end",
    ]
    list_filter = ["status", TerminationFilter, "product__group", "cycle"]
    list_select_related = ["customer", "product"]
    search_fields = ["domain_name", "customer__name", "=id"]
    show_full_result_count = False
    readonly_fields = [
        "customer",
        "order",
        "product",
        "plan",
        "domain_name",
        "domain_action",
        "cycle",
        "recurring_price",
        "status",
        "status_reason",
        "period_start",
        "period_end",
        "next_due_date",
        "activated_at",
        "warranty_end",
    ]
    fields = readonly_fields
    actions = [
        reason_action(
            name="activate",
            description=_("Activate pending services now (paid, identity verified)"),
            apply=_activate(override=False),
            done_message=_("%(count)d service(s) activated."),
        ),
        reason_action(
            name="activate_override",
            description=_("Activate now (override the checks)"),
            apply=_activate(override=True),
            done_message=_("%(count)d service(s) activated, the override recorded."),
        ),
        reason_action(
            name="suspend",
            description=_("Suspend"),
            apply=_set_status(Service.Status.SUSPENDED),
            done_message=_("%(count)d service(s) suspended."),
        ),
        reason_action(
            name="unsuspend",
            description=_("Restore (unsuspend)"),
            apply=_set_status(Service.Status.ACTIVE),
            done_message=_("%(count)d service(s) restored."),
        ),
        reason_action(
            name="terminate",
            description=_("Terminate (unpaid)"),
            apply=_set_status(Service.Status.EXPIRED),
            done_message=_("%(count)d service(s) terminated."),
        ),
        reason_action(
            name="cancel",
            description=_("Cancel"),
            apply=_set_status(Service.Status.CANCELLED),
            done_message=_("%(count)d service(s) cancelled."),
        ),
    ]

    def has_add_permission(self, request):
        return False
