"""`python manage.py kubeconfig USER SANDBOX`: print a kubeconfig for the user's access to
the sandbox (a new token, listed on the user's API tokens page)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cluster.apiserver import ApiError
from cluster.models import Sandbox
from kubeapi.kubeconfig import issue_kubeconfig
from sandbox.selectors import clock_readable


class Command(BaseCommand):
    help = "Print a kubeconfig for USER's access to SANDBOX (its id), with a new token."

    def add_arguments(self, parser) -> None:
        parser.add_argument("user")
        parser.add_argument("sandbox", type=int)

    def handle(self, *args, user: str, sandbox: int, **options) -> None:
        account = get_user_model().objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"no user {user!r}")
        found = Sandbox.objects.select_related("classroom").filter(pk=sandbox).first()
        if found is None:
            raise CommandError(f"no sandbox {sandbox}")
        try:  # the same rule as the API's: the owner, an instructor of its class, an admin
            clock_readable(found, account)
        except ApiError as refused:
            raise CommandError(f"{user} may not use sandbox {sandbox}: {refused}") from refused
        self.stdout.write(issue_kubeconfig(found, account), ending="")
