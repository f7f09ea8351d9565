"""`python manage.py api_certificates`: the local CA and the API endpoint's certificate
(kubeapi/tls.py), made if missing; `make run` calls it before starting Daphne."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from kubeapi.tls import ensure_api_certificates


class Command(BaseCommand):
    help = "Make the local CA and the Kubernetes API endpoint's certificate, if missing."

    def handle(self, *args, **options) -> None:
        files = ensure_api_certificates()
        self.stdout.write(f"Kubernetes API certificate: {files.server_cert} (CA {files.ca_cert})")
