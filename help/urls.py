from django.urls import path

from help import views

app_name = "help"

urlpatterns = [
    path("help/", views.ArticleListView.as_view(), name="index"),
    path("help/<slug:slug>/", views.ArticleDetailView.as_view(), name="article"),
]
