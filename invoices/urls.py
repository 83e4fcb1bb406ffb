from django.urls import path

from invoices import views

app_name = "invoices"

urlpatterns = [
    path("invoices/", views.InvoiceListView.as_view(), name="list"),
    path("invoices/<int:pk>/", views.InvoiceDetailView.as_view(), name="detail"),
    path("invoices/<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="pdf"),
    path("invoices/<int:pk>/confirm/", views.PaymentConfirmView.as_view(), name="confirm"),
    path("payments/<int:pk>/proof/", views.ProofFileView.as_view(), name="proof"),
    path("receipts/<int:pk>/pdf/", views.ReceiptPdfView.as_view(), name="receipt"),
]
