"""Login throttling with django-axes: the backend that refuses a locked-out login, the
address a login is counted against, and the page a locked-out person sees.

The settings (how many failures, for how long, counted per username and address) are
the AXES_* ones in sandbox/settings.py.
"""

from __future__ import annotations

import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for logins that come with a request.

    A login without one (the test client's `login()`, a management command, a shell) comes
    from no one who could guess passwords over the network, so there is nothing to
    count it against; axes itself would raise instead of letting it through.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def client_address(request: HttpRequest) -> str | None:
    """The address the connection came from, as Daphne reports it."""
    return request.META.get("REMOTE_ADDR")


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """The login page again, saying why the login was refused and when to try again:
    429 Too Many Requests, with Retry-After, as any client would understand it."""
    cool_off = get_cool_off(request)
    retry_after = math.ceil(cool_off.total_seconds()) if cool_off else None
    minutes = math.ceil(retry_after / 60) if retry_after else None
    # Unbound: validating the posted form would try the password again, and count it.
    form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
    response = render(
        request,
        "registration/login.html",
        {
            "form": form,
            "locked_out": True,
            "retry_minutes": minutes,
            "next": request.POST.get("next", ""),
        },
        status=429,
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
