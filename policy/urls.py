from django.urls import path

from policy import views

app_name = "policy"

urlpatterns = [
    path("services/<int:pk>/deferral/", views.DeferralView.as_view(), name="deferral"),
    path("services/<int:pk>/change/", views.ServiceChangeView.as_view(), name="change"),
    path("services/<int:pk>/technical/", views.TechnicalChangeView.as_view(), name="technical"),
    path("services/<int:pk>/migration/", views.MigrationView.as_view(), name="migration"),
    path(
        "technical-changes/<int:pk>/letter/",
        views.AuthorisationLetterView.as_view(),
        name="letter",
    ),
]
