from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("projects/", views.ProjectListView.as_view(), name="list"),
    path("projects/new/", views.ProjectCreateView.as_view(), name="create"),
    path("projects/<int:pk>/", views.ProjectDetailView.as_view(), name="detail"),
    path("projects/<int:pk>/accept/", views.ProjectAcceptView.as_view(), name="accept"),
    path("projects/<int:pk>/cancel/", views.ProjectCancelView.as_view(), name="cancel"),
    path("projects/<int:pk>/design/", views.ProjectDesignFileView.as_view(), name="design-file"),
]
