"""The portal's URLs plus ``/bench/bare/``: the least a request through the same
gunicorn, middleware and settings can cost, the baseline of ``benchmarks/load.py``."""

from django.http import HttpResponse
from django.urls import path

from masternet.urls import urlpatterns as portal_urlpatterns


def bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare, name="bench-bare"), *portal_urlpatterns]
