from django.urls import path

from customers import data_views, views

app_name = "customers"

urlpatterns = [
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("account/", views.AccountView.as_view(), name="account"),
    path("account/setup/", views.CustomerSetupView.as_view(), name="setup"),
    path("account/edit/", views.CustomerEditView.as_view(), name="edit"),
    path("account/contacts/<int:pk>/", views.ContactEditView.as_view(), name="contact-edit"),
    path(
        "account/contacts/<int:pk>/remove/",
        views.ContactRemoveView.as_view(),
        name="contact-remove",
    ),
    path("account/contacts/invite/", views.InvitationCreateView.as_view(), name="invite"),
    path("account/handover/", views.HandoverView.as_view(), name="handover"),
    path(
        "invitations/<str:token>/",
        views.InvitationAcceptView.as_view(),
        name="invitation-accept",
    ),
    path("account/identity/", views.IdentityView.as_view(), name="identity"),
    path(
        "account/identity/<int:pk>/file/",
        views.IdentityDocumentFileView.as_view(),
        name="identity-file",
    ),
    path("account/data/", data_views.PersonalDataView.as_view(), name="personal-data"),
    path(
        "account/data/export.json",
        data_views.PersonalDataExportView.as_view(),
        name="personal-data-export",
    ),
    path(
        "account/data/delete/",
        data_views.DataDeletionRequestView.as_view(),
        name="personal-data-delete",
    ),
    path("terms/", views.TermsView.as_view(), name="terms"),
    path("terms/accept/", views.TermsAcceptView.as_view(), name="terms-accept"),
]
