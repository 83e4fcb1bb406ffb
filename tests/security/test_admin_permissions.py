"""Staff who may only look at a list are offered none of its actions: every admin
action changes state (verify, approve, anonymise, suspend), so each needs the model's
change permission, as the change form does."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from customers.models import IdentityDocument, TermsVersion, User
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


def _revert_url(obj, record):
    opts = obj._meta
    return reverse(
        f"admin:{opts.app_label}_{opts.model_name}_simple_history",
        args=[obj.pk, record.history_id],
    )


@pytest.mark.parametrize("who", ["viewer", "superuser"])
def test_history_is_read_only_nobody_reverts_a_record(world, viewer, staff_user, who, tried):
    """simple-history's "revert" would save a past state straight onto the row, past the
    services and their rules (and, in 3.13, for anyone who may only view). Staff read
    history; changes go through the change form and the actions."""
    customer = world.contact.customer
    first = customer.history.earliest()
    customer.name = "Toko Batik Sejahtera"
    customer.save()
    client = client_for(viewer if who == "viewer" else staff_user)
    url = _revert_url(customer, first)
    assert client.get(url).status_code == 200  # reading a past state stays possible
    data = {
        "kind": customer.kind, "name": "Reverted", "address": customer.address,
        "city": customer.city, "postal_code": customer.postal_code, "phone": customer.phone,
        "npwp": customer.npwp,
    }  # fmt: skip
    response = client.post(url, data)
    tried()
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.name == "Toko Batik Sejahtera"


def test_k1_published_terms_cannot_be_reverted_to_another_text(staff_client, terms, tried):
    """K1: the history of a published version offers no way back to a draft's text."""
    TermsVersion.objects.filter(pk=terms.pk).update(published_at=None)
    terms.refresh_from_db()
    terms.text_en = "Draft text."
    terms.save()
    draft = terms.history.latest()
    terms.published_at = timezone.now()
    terms.text_en = "Published text."
    terms.save()
    response = staff_client.post(
        _revert_url(terms, draft),
        {"version": terms.version, "text_id": "x", "text_en": "Draft text.", "summary_id": "",
         "summary_en": ""},
    )  # fmt: skip
    tried()
    assert response.status_code == 403
    terms.refresh_from_db()
    assert terms.text_en == "Published text."
