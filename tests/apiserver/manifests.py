"""Manifests the API server tests send."""


def pod_manifest(name: str = "web", image: str = "nginx", **spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"run": name}},
        "spec": {"containers": [{"name": name, "image": image}], **spec},
    }
