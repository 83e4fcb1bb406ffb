"""The staff site: Django's admin, with one rule added for every model registered on it.

Every admin action changes state (verify a document, approve a payment, anonymise a
person, enable a scheduled job), yet Django offers an action that names no permission
to anyone who may view the list. Here such an action needs the model's change
permission, also for the admins of allauth, axes and django-celery-beat.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


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


class StaffAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, ActionsNeedChangePermission):
            admin_class = type(admin_class.__name__, (ActionsNeedChangePermission, admin_class), {})
        super().register(model_or_iterable, admin_class, **options)


class StaffAdminConfig(AdminConfig):
    default_site = "masternet.admin.StaffAdminSite"
