from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("tickets/", views.TicketListView.as_view(), name="list"),
    path("tickets/new/", views.TicketCategoryView.as_view(), name="new"),
    path("tickets/new/<slug:category>/", views.TicketCreateView.as_view(), name="create"),
    path("tickets/attachments/<int:pk>/", views.AttachmentView.as_view(), name="attachment"),
    path("tickets/<str:number>/", views.TicketDetailView.as_view(), name="detail"),
    path("tickets/<str:number>/close/", views.TicketCloseView.as_view(), name="close"),
    path("tickets/<str:number>/reopen/", views.TicketReopenView.as_view(), name="reopen"),
    path("tickets/<str:number>/rate/", views.TicketRateView.as_view(), name="rate"),
]
