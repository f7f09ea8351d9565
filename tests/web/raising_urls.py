"""The site's URLs plus one view that raises: what a bug in any view looks like."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from sandbox.urls import urlpatterns as site_urlpatterns

# Words from the exception that must never reach a student's browser.
SECRET_DETAIL = "the database password is hunter2"


def view_that_raises(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET_DETAIL)


urlpatterns = [*site_urlpatterns, path("raise/", view_that_raises)]
