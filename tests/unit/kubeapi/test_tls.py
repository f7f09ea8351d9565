"""The local CA and the API endpoint's certificate (kubeapi/tls.py)."""

from __future__ import annotations

import ipaddress

from cryptography import x509

from kubeapi.tls import ensure_certificates


def alt_names(path) -> set:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return set(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)


def test_the_server_certificate_is_signed_by_the_ca_and_names_loopback(tmp_path):
    files = ensure_certificates(tmp_path, ["podlab.example.org"])
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    server = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    server.verify_directly_issued_by(ca)
    assert alt_names(files.server_cert) == {
        x509.DNSName("localhost"),
        x509.DNSName("podlab.example.org"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    }
    assert files.server_key.stat().st_mode & 0o077 == 0  # the key is the owner's alone


def test_certificates_are_kept_until_the_names_change_and_the_ca_is_kept_then(tmp_path):
    first = ensure_certificates(tmp_path, [])
    ca, server = first.ca_cert.read_bytes(), first.server_cert.read_bytes()
    again = ensure_certificates(tmp_path, [])
    assert (again.ca_cert.read_bytes(), again.server_cert.read_bytes()) == (ca, server)
    renamed = ensure_certificates(tmp_path, ["10.1.2.3"])
    assert renamed.ca_cert.read_bytes() == ca  # kubeconfigs given out keep working
    assert renamed.server_cert.read_bytes() != server
    assert x509.IPAddress(ipaddress.ip_address("10.1.2.3")) in alt_names(renamed.server_cert)
