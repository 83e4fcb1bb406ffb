"""Staff who may only look at a list are offered none of its actions: every admin
action changes state (verify, approve, anonymise, suspend), so each needs the model's
change permission, as the change form does."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from customers.models import IdentityDocument, User
from tests.security.conftest import client_for


@pytest.fixture
def viewer(db):
    """A staff member with every view permission and nothing else."""
    user = User.objects.create_user("viewer@masternet.test", "viewer-pass-123", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    return User.objects.get(pk=user.pk)  # a fresh object: permissions are cached


def test_a_view_only_staff_member_is_offered_no_action(viewer, tried):
    request = RequestFactory().get("/admin/")
    request.user = viewer
    offered = {}
    for model, model_admin in admin.site._registry.items():
        tried()
        if model_admin.has_view_permission(request):
            actions = model_admin.get_actions(request)
            if actions:
                offered[model._meta.label] = sorted(actions)
    assert offered == {}


def test_a_view_only_staff_member_cannot_verify_a_document_by_posting_the_action(
    viewer, world, tried
):
    tried()
    document = world.document
    IdentityDocument.objects.filter(pk=document.pk).update(status=IdentityDocument.Status.PENDING)
    response = client_for(viewer).post(
        reverse("admin:customers_identitydocument_changelist"),
        {"action": "verify_selected", "_selected_action": [document.pk]},
    )
    assert response.status_code in (200, 302, 403)
    document.refresh_from_db()
    assert document.status == IdentityDocument.Status.PENDING
    assert document.decided_by_id != viewer.pk
