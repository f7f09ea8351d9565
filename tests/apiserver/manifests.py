"""Manifests the API server tests send."""


def pod_manifest(name: str = "web", image: str = "nginx", **spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"run": name}},
        "spec": {"containers": [{"name": name, "image": image}], **spec},
    }


def workload_manifest(kind: str, name: str = "web", image: str = "nginx", **spec) -> dict:
    """A ReplicaSet, Deployment or ReplicationController running `image`, labelled app=name."""
    template = {
        "metadata": {"labels": {"app": name}},
        "spec": {"containers": [{"name": "app", "image": image}]},
    }
    if kind == "ReplicationController":
        api_version, selector = "v1", {"app": name}
    else:
        api_version, selector = "apps/v1", {"matchLabels": {"app": name}}
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name},
        "spec": {"selector": selector, "template": template, **spec},
    }
