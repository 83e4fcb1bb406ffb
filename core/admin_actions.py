"""Admin actions that need a reason typed by staff before they run."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Recorded in the audit and shown to the customer."),
    )


def error_text(exc: Exception) -> str:
    """A service's refusal as staff should read it: the messages, not ``['…']``."""
    if isinstance(exc, ValidationError):
        return " ".join(str(message) for message in exc.messages)
    return str(exc)


def reason_action(
    *,
    name: str,
    description: str,
    apply,
    done_message: str,
    errors=(ValidationError,),
    permissions=("change",),
):
    """Build an admin action that asks for a reason, then calls
    ``apply(obj, staff=..., reason=...)`` (a service) on each selected object.
    ``errors`` are the exceptions reported per object instead of failing the batch.
    Only staff with the model's ``permissions`` (change, by default) are offered it:
    Django offers an action without permissions to anyone who may view the list."""

    @admin.action(description=description, permissions=list(permissions))
    def action(modeladmin, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = 0
            for obj in queryset:
                try:
                    apply(obj, staff=request.user, reason=form.cleaned_data["reason"])
                except errors as exc:
                    modeladmin.message_user(request, f"{obj}: {error_text(exc)}", messages.ERROR)
                else:
                    done += 1
            modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/reason_action.html",
            {
                **modeladmin.admin_site.each_context(request),
                "title": description,
                "form": form,
                "queryset": queryset,
                "action": request.POST.get("action"),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "opts": modeladmin.model._meta,
            },
        )

    action.__name__ = name  # the admin tells actions apart by name
    return action
