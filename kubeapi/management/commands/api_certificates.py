"""`python manage.py api_certificates`: the local CA and the API endpoint's certificate
(kubeapi/tls.py), made if missing; `make run` calls it before starting Daphne."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand

from kubeapi.tls import ensure_certificates


class Command(BaseCommand):
    help = "Make the local CA and the Kubernetes API endpoint's certificate, if missing."

    def handle(self, *args, **options) -> None:
        hosts = [host for host in settings.ALLOWED_HOSTS if host not in ("*", "")]
        hosts.append(urlsplit(settings.PODLAB_API_URL).hostname or "127.0.0.1")
        files = ensure_certificates(settings.PODLAB_TLS_DIR, hosts)
        self.stdout.write(f"Kubernetes API certificate: {files.server_cert} (CA {files.ca_cert})")
