"""The local certificate authority and the API endpoint's server certificate.

kubectl sends its bearer token only over HTTPS, so the sandboxes' Kubernetes API is
served over TLS even on a laptop: `make run` makes a CA of its own on first run, and the
server certificate it signs, for the names the endpoint is reached by. A downloaded
kubeconfig embeds the CA's certificate, so kubectl and the Python client trust the
endpoint without anything installed in the system's trust store. Behind a reverse proxy
with a real certificate, none of this is used (README.md).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_NAME = "Podlab local CA"
CA_YEARS = 10
# Browsers and Go refuse server certificates valid for longer than about two years.
SERVER_DAYS = 397


@dataclass(frozen=True)
class TlsFiles:
    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.directory / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.directory / "server.key"


def ensure_certificates(directory: Path, hosts: Iterable[str]) -> TlsFiles:
    """The CA and a server certificate for hosts (names or IP addresses), made if missing,
    if the server certificate names other hosts, or if it expires within a month."""
    files = TlsFiles(directory)
    directory.mkdir(parents=True, exist_ok=True)
    wanted = sorted(set(hosts) | {"localhost", "127.0.0.1"})
    # Two processes may ask at once (test workers, a web process and manage.py): one
    # makes them, the other then finds them, never a CA's key from one and its
    # certificate from the other.
    with (directory / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (files.ca_cert.exists() and files.ca_key.exists()):
            _write_ca(files)
            _write_server(files, wanted)
        elif _server_needs_renewal(files, wanted):
            _write_server(files, wanted)
    return files


def ca_pem(files: TlsFiles) -> bytes:
    return files.ca_cert.read_bytes()


def ensure_api_certificates() -> TlsFiles:
    """The API endpoint's certificates in settings.PODLAB_TLS_DIR, for the names it is
    reached by (ALLOWED_HOSTS and PODLAB_API_URL's host), made if missing."""
    from django.conf import settings  # here: the rest of this module is plain Python

    hosts = [host for host in settings.ALLOWED_HOSTS if host not in ("*", "")]
    hosts.append(urlsplit(settings.PODLAB_API_URL).hostname or "127.0.0.1")
    return ensure_certificates(settings.PODLAB_TLS_DIR, hosts)


def _write_ca(files: TlsFiles) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_key(files.ca_key, key)
    files.ca_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _write_server(files: TlsFiles, hosts: list[str]) -> None:
    ca_key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "podlab-apiserver")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(_alt_names(hosts)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_key(files.server_key, key)
    files.server_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _server_needs_renewal(files: TlsFiles, hosts: list[str]) -> bool:
    if not (files.server_cert.exists() and files.server_key.exists()):
        return True
    cert = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    if cert.not_valid_after_utc - _now() < dt.timedelta(days=30):
        return True
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(names) != set(_alt_names(hosts))


def _alt_names(hosts: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.touch(mode=0o600)  # private from the start, not after being written
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
