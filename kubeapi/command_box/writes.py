"""The commands that create, change and delete objects, each as kubectl builds its
request: run, create deployment|namespace, delete, scale, label, annotate."""

from __future__ import annotations

from cluster.apiserver import ApiError
from cluster.resources import RESOURCES, ResourceType
from cluster.workload_operations import scale
from kubeapi.command_box.context import (
    REAL_KUBECTL,
    Context,
    namespace_of,
    server_error,
)
from kubeapi.command_box.grammar import Invocation, NotInTheBox, UsageError
from kubeapi.command_box.targets import kind_word, object_name, targets


def run(context: Context, invocation: Invocation) -> str:
    if invocation.flag("stdin") or invocation.flag("tty") or invocation.flag("rm"):
        raise NotInTheBox(
            "kubectl run -i, -t and --rm attach to the container: Podlab's containers are"
            " simulated, so there is nothing to attach to"
        )
    if not invocation.args:
        raise UsageError("error: NAME is required for run")
    name, *command = invocation.args
    image = invocation.flag("image")
    if not image:
        raise UsageError('error: required flag(s) "image" not set')
    restart = str(invocation.flag("restart") or "Always")
    if restart not in ("Always", "OnFailure", "Never"):
        raise UsageError(f"error: invalid restart policy: {restart}")
    container: dict = {"name": name, "image": image, "resources": {}}
    if command:
        container["command" if invocation.flag("command") else "args"] = command
    if port := invocation.flag("port"):
        if not str(port).isdigit():
            raise UsageError(f'error: invalid --port: "{port}" is not a number')
        container["ports"] = [{"containerPort": int(str(port))}]
    if env := invocation.flag("env"):
        container["env"] = [_env_var(text) for text in env]  # type: ignore[union-attr]
    labels = _labels_flag(str(invocation.flag("labels") or "")) or {"run": name}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"creationTimestamp": None, "labels": labels, "name": name},
        "spec": {
            "containers": [container],
            "dnsPolicy": "ClusterFirst",
            "restartPolicy": restart,
        },
        "status": {},
    }
    return _create(context, invocation, RESOURCES["pods"], pod)


def create_deployment(context: Context, invocation: Invocation) -> str:
    if len(invocation.args) != 1:
        raise UsageError("error: exactly one NAME is required, got " + str(len(invocation.args)))
    [name] = invocation.args
    images = [str(image) for image in invocation.flag("image") or []]  # type: ignore[union-attr]
    if not images:
        raise UsageError('error: required flag(s) "image" not set')
    replicas = int(invocation.flag("replicas"))  # type: ignore[arg-type]
    containers = [
        {"image": image, "name": container_name(image), "resources": {}} for image in images
    ]
    if port := invocation.flag("port"):
        containers[0]["ports"] = [{"containerPort": port}]
    labels = {"app": name}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"creationTimestamp": None, "labels": labels, "name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "strategy": {},
            "template": {
                "metadata": {"creationTimestamp": None, "labels": labels},
                "spec": {"containers": containers},
            },
        },
        "status": {},
    }
    return _create(context, invocation, RESOURCES["deployments"], deployment)


def create_namespace(context: Context, invocation: Invocation) -> str:
    if len(invocation.args) != 1:
        raise UsageError("error: exactly one NAME is required, got " + str(len(invocation.args)))
    namespace = {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"creationTimestamp": None, "name": invocation.args[0]},
        "spec": {},
        "status": {},
    }
    return _create(context, invocation, RESOURCES["namespaces"], namespace)


def _create(context: Context, invocation: Invocation, rt: ResourceType, obj: dict) -> str:
    dry_run = str(invocation.flag("dry-run") or "none")
    if dry_run not in ("none", "client", "server"):
        raise UsageError(
            f'error: Invalid dry-run value ({dry_run}). Must be "none", "server", or "client".'
        )
    if dry_run == "client":
        return f"{object_name(rt, obj['metadata']['name'])} created (dry run)"
    if dry_run == "server":
        raise NotInTheBox(f"--dry-run=server: use --dry-run=client here; {REAL_KUBECTL}")
    namespace = namespace_of(invocation) if rt.namespaced else ""
    created = context.api.create(rt.name, obj, namespace=namespace)
    return f"{object_name(rt, created['metadata']['name'])} created"


def container_name(image: str) -> str:
    """kubectl create deployment's container name: the image's last path part, without
    its tag or digest ("registry.k8s.io/pause:3.9" -> "pause")."""
    base = image.split("@")[0].rsplit("/", 1)[-1].split(":")[0]
    cleaned = "".join(c if c.isalnum() or c == "-" else "-" for c in base.lower()).strip("-")
    return cleaned or "container"


def _env_var(text: str) -> dict:
    name, separator, value = text.partition("=")
    if not separator:
        raise UsageError(f"error: invalid env: {text}")
    return {"name": name, "value": value}


def _labels_flag(text: str) -> dict[str, str]:
    labels = {}
    for pair in filter(None, text.split(",")):
        key, separator, value = pair.partition("=")
        if not separator:
            raise UsageError(f"error: invalid label spec: {pair}")
        labels[key] = value
    return labels


def delete(context: Context, invocation: Invocation) -> str:
    if invocation.flag("filename"):
        raise NotInTheBox(f"kubectl delete -f reads files: {REAL_KUBECTL}")
    if invocation.flag("dry-run") not in (None, "none"):
        raise NotInTheBox(f"kubectl delete --dry-run: {REAL_KUBECTL}")
    found, rest = targets(invocation.args)
    if not found:
        raise UsageError("error: You must provide one or more resources by argument or filename.")
    if rest:
        raise UsageError(f'error: unexpected argument "{rest[0]}"')
    selector = str(invocation.flag("selector") or "")
    everything = bool(invocation.flag("all"))
    if not any(t.names for t in found) and not selector and not everything:
        raise UsageError("error: resource(s) were provided, but no name was specified")
    grace = int(invocation.flag("grace-period"))  # type: ignore[arg-type]
    if invocation.flag("now"):
        grace = 1
    force = bool(invocation.flag("force"))
    if force and grace < 0:
        grace = 0
    lines = []
    if force and grace == 0:
        lines.append(
            "Warning: Immediate deletion does not wait for confirmation that the running"
            " resource has been terminated. The resource may continue to run on the"
            " cluster indefinitely."
        )
    namespace = namespace_of(invocation)
    deleted_word = "force deleted" if force and grace == 0 else "deleted"
    for target in found:
        scope = namespace if target.rt.namespaced else ""
        names = target.names or [
            obj["metadata"]["name"]
            for obj in context.api.list(target.rt.name, namespace=scope, label_selector=selector)[
                "items"
            ]
        ]
        for name in names:
            try:
                context.api.delete(
                    target.rt.name,
                    name,
                    namespace=scope,
                    grace_period_seconds=grace if grace >= 0 else None,
                    propagation_policy="Background",
                )
                lines.append(f'{kind_word(target.rt)} "{name}" {deleted_word}')
            except ApiError as error:
                lines.append(server_error(error))
    if len(lines) == (1 if force and grace == 0 else 0):
        lines.append("No resources found")
    return "\n".join(lines)


def scale_command(context: Context, invocation: Invocation) -> str:
    replicas = int(invocation.flag("replicas"))  # type: ignore[arg-type]
    if replicas < 0:
        raise UsageError('error: required flag(s) "replicas" not set')
    found, rest = targets(invocation.args)
    if not found or not found[0].names or rest:
        raise UsageError("error: resource(s) were provided, but no name was specified")
    lines = []
    for target in found:
        if target.rt.name not in ("deployments", "replicasets", "replicationcontrollers"):
            raise UsageError(
                f"error: no scaler has been implemented for {{{target.rt.group} {target.rt.kind}}}"
            )
        for name in target.names:
            scale(context.api, target.rt.name, name, replicas, namespace=namespace_of(invocation))
            lines.append(f"{object_name(target.rt, name)} scaled")
    return "\n".join(lines)


def label(context: Context, invocation: Invocation) -> str:
    return _metadata_map(context, invocation, "labels", "labeled")


def annotate(context: Context, invocation: Invocation) -> str:
    return _metadata_map(context, invocation, "annotations", "annotated")


def _metadata_map(context: Context, invocation: Invocation, field: str, done: str) -> str:
    if invocation.flag("list"):
        raise NotInTheBox(f"--list: kubectl get ... --show-labels, or {REAL_KUBECTL}")
    found, changes = targets(invocation.args)
    if not found or not found[0].names:
        raise UsageError(
            "error: one or more resources must be specified as <resource> <name>"
            " or <resource>/<name>"
        )
    if not changes:
        raise UsageError(f"error: at least one {field[:-1]} update is required")
    wanted: dict[str, str | None] = {}
    for change in changes:
        if change.endswith("-") and "=" not in change:
            wanted[change[:-1]] = None
        elif "=" in change:
            key, _, value = change.partition("=")
            wanted[key] = value
        else:
            raise UsageError(f"error: invalid {field[:-1]} spec: {change}")
    namespace = namespace_of(invocation)
    lines = []
    for target in found:
        scope = namespace if target.rt.namespaced else ""
        for name in target.names:
            current = context.api.get(target.rt.name, name, namespace=scope)
            existing = current.get("metadata", {}).get(field) or {}
            if not invocation.flag("overwrite"):
                for key, value in wanted.items():
                    if value is not None and key in existing and existing[key] != value:
                        raise UsageError(
                            f"error: '{key}' already has a value ({existing[key]}),"
                            " and --overwrite is false"
                        )
            patch = {
                k: v
                for k, v in wanted.items()
                if existing.get(k) != v or (v is None and k in existing)
            }
            patch = {k: v for k, v in patch.items() if v is not None or k in existing}
            if not patch:
                lines.append(f"{object_name(target.rt, name)} not {done}")
                continue
            context.api.patch(target.rt.name, name, {"metadata": {field: patch}}, namespace=scope)
            lines.append(f"{object_name(target.rt, name)} {done}")
    return "\n".join(lines)
