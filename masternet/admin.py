"""The staff site: Django's admin, with one rule added for every model registered on it.

Every admin action changes state (verify a document, approve a payment, anonymise a
person, enable a scheduled job), yet Django offers an action that names no permission
to anyone who may view the list. Here such an action needs the model's change
permission, also for the admins of allauth, axes and django-celery-beat. And no one
reverts a record from its history (``HistoryIsReadOnly``).
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied


class ActionsNeedChangePermission:
    def get_actions(self, request):
        actions = super().get_actions(request)
        opts = self.model._meta
        if request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}"):
            return actions
        # Actions that name their permissions were already checked by Django.
        return {
            name: action
            for name, action in actions.items()
            if getattr(action[0], "allowed_permissions", ())
        }


class HistoryIsReadOnly:
    """django-simple-history's "revert" saves a past state of a record straight onto
    its row: past the services and their rules (a decided document, a published terms
    version), and in 3.13 for anyone who may merely view. Staff read the history; they
    change records through the change form and the actions, which call the services.
    ``SIMPLE_HISTORY_REVERT_DISABLED`` hides the button; this refuses the POST."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class StaffAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        mixins = []
        if not issubclass(admin_class, ActionsNeedChangePermission):
            mixins.append(ActionsNeedChangePermission)
        if hasattr(admin_class, "history_form_view") and not issubclass(
            admin_class, HistoryIsReadOnly
        ):
            mixins.append(HistoryIsReadOnly)
        if mixins:
            admin_class = type(admin_class.__name__, (*mixins, admin_class), {})
        super().register(model_or_iterable, admin_class, **options)


class StaffAdminConfig(AdminConfig):
    default_site = "masternet.admin.StaffAdminSite"
