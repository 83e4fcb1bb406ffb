from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("catalogue/", views.CatalogueView.as_view(), name="catalogue"),
    path("catalogue/<slug:slug>/", views.ProductView.as_view(), name="product"),
    path("cart/", views.CartView.as_view(), name="cart"),
    path("cart/<int:index>/remove/", views.CartRemoveView.as_view(), name="cart-remove"),
    path("checkout/", views.CheckoutView.as_view(), name="checkout"),
    path("services/", views.ServiceListView.as_view(), name="services"),
    path("services/<int:pk>/", views.ServiceDetailView.as_view(), name="service"),
]
