"""A kubeconfig for one sandbox: its API's address, the CA to trust it by, and a token."""

from __future__ import annotations

import base64

import yaml
from django.conf import settings

from cluster.models import ApiToken, Sandbox
from kubeapi.tls import ca_pem, ensure_api_certificates


def sandbox_server_url(sandbox: Sandbox) -> str:
    return f"{settings.PODLAB_API_URL.rstrip('/')}/clusters/{sandbox.pk}"


def issue_kubeconfig(sandbox: Sandbox, user) -> str:
    """A new token for the user, named for the sandbox, in a kubeconfig for it. Its plain
    text is in this file only: the database keeps its hash (cluster.models.ApiToken)."""
    _, token = ApiToken.issue(user=user, name=f"kubeconfig for sandbox {sandbox.pk}")
    return kubeconfig_text(sandbox, user.get_username(), token)


def kubeconfig_text(sandbox: Sandbox, username: str, token: str) -> str:
    name = f"podlab-{sandbox.pk}"
    cluster: dict = {"server": sandbox_server_url(sandbox)}
    if settings.PODLAB_API_LOCAL_CA:
        # Made here if `make run` has not made it yet (a test, a first manage.py kubeconfig).
        files = ensure_api_certificates()
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem(files)).decode()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": cluster}],
        "users": [{"name": f"{username}@{name}", "user": {"token": token}}],
        "contexts": [
            {
                "name": name,
                "context": {"cluster": name, "user": f"{username}@{name}", "namespace": "default"},
            }
        ],
        "current-context": name,
        "preferences": {},
    }
    header = (
        f"# Podlab sandbox {sandbox.pk}, {sandbox.name!r}, for {username}.\n"
        f"# Use it: KUBECONFIG=$PWD/{name}.kubeconfig kubectl get nodes\n"
        "# The token acts as you: revoke it on Podlab's API tokens page when done.\n"
    )
    return header + yaml.safe_dump(config, sort_keys=False)
