"""The kubectl command each click or YAML submission stands for, as kubectl 1.32 spells it.

The page shows it in the diagram's terminal and in the timeline, so that
students learn the commands while they click. Every API call a click makes is
traced with its command (ApiServer.as_user(..., command=...)). Faults the
sandbox injects (a container crash, a stopped kubelet) have no kubectl
equivalent and get none.
"""

from __future__ import annotations

from shlex import quote

# The manifest as it goes to the API server, for what `kubectl run` has no flag for:
# requests and limits (its --requests and --limits are gone), node selectors,
# tolerations. The form and the YAML editor create, as `kubectl create` does: a pod
# that already exists is refused (409 AlreadyExists), where `apply` would change it.
CREATE_FROM_STDIN = "kubectl create -f -"


def run_command(manifest: dict) -> str:
    """`kubectl run web --image=nginx:1.27.3 --restart=Always` for a pod of the create form."""
    meta = manifest["metadata"]
    spec = manifest["spec"]
    [container] = spec["containers"]
    if container.get("resources") or spec.get("nodeSelector") or spec.get("tolerations"):
        return CREATE_FROM_STDIN
    words = ["kubectl", "run", meta["name"], f"--image={container['image']}"]
    words.append(f"--restart={spec.get('restartPolicy', 'Always')}")
    labels = meta.get("labels") or {}
    # kubectl run labels a pod run=<its name>; the form's replicas keep their first's.
    if labels != {"run": meta["name"]}:
        words.append("--labels=" + ",".join(f"{key}={value}" for key, value in labels.items()))
    words += _namespace(meta.get("namespace", "default"))
    return " ".join(quote(word) for word in words)


def create_command(manifest: dict) -> str:
    """The command the create form's manifest stands for: `kubectl run` for a pod,
    `kubectl create deployment` for a plain Deployment, else the manifest itself."""
    kind = manifest.get("kind")
    if kind == "Pod":
        return run_command(manifest)
    if kind != "Deployment":
        return CREATE_FROM_STDIN  # kubectl has no `create replicaset`
    meta, spec = manifest["metadata"], manifest["spec"]
    pod = spec["template"]["spec"]
    [container] = pod["containers"]
    plain = not (container.get("resources") or pod.get("nodeSelector") or pod.get("tolerations"))
    if not plain or pod.get("restartPolicy", "Always") != "Always":
        return CREATE_FROM_STDIN
    words = ["kubectl", "create", "deployment", meta["name"], f"--image={container['image']}"]
    if spec.get("replicas", 1) != 1:
        words.append(f"--replicas={spec['replicas']}")
    words += _namespace(meta.get("namespace", "default"))
    return " ".join(quote(word) for word in words)


# How kubectl names a kind on its command line.
_KIND_WORDS = {
    "Deployment": "deployment",
    "ReplicaSet": "replicaset",
    "ReplicationController": "replicationcontroller",
}


def workload_command(
    action: str,
    kind: str,
    namespace: str,
    name: str,
    *,
    replicas: int | None = None,
    container: str = "",
    image: str = "",
) -> str:
    """The command of a workload panel's action: scale, image (set image), undo, delete."""
    word = _KIND_WORDS[kind]
    if action == "scale":
        words = ["kubectl", "scale", word, name, f"--replicas={replicas}"]
    elif action == "image":
        words = ["kubectl", "set", "image", f"{word}/{name}", f"{container}={image}"]
    elif action == "undo":
        words = ["kubectl", "rollout", "undo", f"{word}/{name}"]
    elif action == "delete":
        words = ["kubectl", "delete", word, name]
    else:
        raise ValueError(f"no kubectl command for {action}")
    words += _namespace(namespace)
    return " ".join(quote(word) for word in words)


def delete_pod_command(namespace: str, name: str) -> str:
    words = ["kubectl", "delete", "pod", name, *_namespace(namespace)]
    return " ".join(quote(word) for word in words)


def node_command(
    action: str, node: str, *, taint: dict | None = None, retaint: bool = False
) -> str:
    """The command of a node panel's action; "" for a fault with no kubectl equivalent.

    taint: the taint added ("taint") or the key removed ("untaint"); retaint: the
    node already has a taint with that key (kubectl needs --overwrite to replace it).
    """
    if action in {"cordon", "uncordon"}:
        return f"kubectl {action} {quote(node)}"
    if action == "drain":
        # The panel deletes the pods, as --disable-eviction does; --force because they
        # are bare pods (no controller would replace them).
        return f"kubectl drain {quote(node)} --ignore-daemonsets --force --disable-eviction"
    if action == "taint" and taint:
        value = f"={taint['value']}" if taint.get("value") else ""
        spec = f"{taint['key']}{value}:{taint['effect']}"
        overwrite = " --overwrite" if retaint else ""
        return f"kubectl taint nodes {quote(node)} {quote(spec)}{overwrite}"
    if action == "untaint" and taint:
        return f"kubectl taint nodes {quote(node)} {quote(taint['key'] + '-')}"
    return ""


def _namespace(namespace: str) -> list[str]:
    return [] if namespace in {"", "default"} else ["-n", namespace]
