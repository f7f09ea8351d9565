"""What each command of the box does: the API calls kubectl makes for it, through the
sandbox's API server as the signed-in user, and kubectl's answer printed from theirs.

Every call is authorized, traced and drawn on the diagram as real kubectl's are, and
labelled with the command line typed. The box answers once: a command real kubectl
would keep running (`get -w`, `logs -f`, `rollout status`) prints what is true now.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from cluster.apiserver import ApiError, ApiServer
from cluster.objects import format_time
from cluster.resources import RESOURCES, ResourceType
from cluster.workload_operations import RollbackError, scale, set_image, undo
from kubeapi import printers
from kubeapi.command_box import describe, nodes, rollout
from kubeapi.command_box.grammar import Invocation, NotInTheBox, UsageError
from kubeapi.command_box.targets import Target, kind_word, object_name, resource_type, targets
from kubeapi.command_box.text_tables import aligned, table_rows

DEFAULT_NAMESPACE = "default"
OUTPUT_FORMATS = ("", "wide", "yaml", "json", "name")
REAL_KUBECTL = "the real kubectl does (Download kubeconfig)"


@dataclass
class Context:
    api: ApiServer
    server_url: str  # where the real kubectl reaches this sandbox's API
    server_version: str

    @property
    def now(self) -> dt.datetime:
        return self.api.sandbox.now()


Handler = Callable[[Context, Invocation], str]


def execute(context: Context, invocation: Invocation) -> str:
    """kubectl's output for the command, or raises UsageError, NotInTheBox or ApiError."""
    if invocation.flag("help"):
        return help_text(context, invocation)
    return HANDLERS[invocation.path](context, invocation)


def namespace_of(invocation: Invocation) -> str:
    return str(invocation.flag("namespace") or DEFAULT_NAMESPACE)


# -- get ---------------------------------------------------------------------------


def get(context: Context, invocation: Invocation) -> str:
    if invocation.flag("watch"):
        raise NotInTheBox(
            "kubectl get -w: the box answers once. The diagram shows each change as it"
            f" comes, and watching in a terminal is what {REAL_KUBECTL}"
        )
    output = str(invocation.flag("output") or "")
    if output not in OUTPUT_FORMATS:
        raise UsageError(
            "error: unable to match a printer suitable for the output format"
            f' "{output}", allowed formats are: json,name,wide,yaml'
        )
    found, rest = targets(invocation.args)
    if not found:
        raise UsageError(
            "error: you must specify the type of resource to get. Use"
            ' "kubectl api-resources" for a complete list of supported resources.'
        )
    if rest:
        raise UsageError(f'error: unexpected argument "{rest[0]}"')
    all_namespaces = bool(invocation.flag("all-namespaces"))
    namespace = namespace_of(invocation)
    objects: list[tuple[ResourceType, list[dict], str]] = []
    errors = []
    for target in found:
        scope = "" if (all_namespaces or not target.rt.namespaced) else namespace
        if target.names:
            got = []
            for name in target.names:
                try:
                    got.append(context.api.get(target.rt.name, name, namespace=scope or namespace))
                except ApiError as error:
                    errors.append(server_error(error))
            objects.append((target.rt, got, ""))
        else:
            listed = context.api.list(
                target.rt.name,
                namespace=scope,
                label_selector=str(invocation.flag("selector") or ""),
                field_selector=str(invocation.flag("field-selector") or ""),
            )
            version = str(listed.get("metadata", {}).get("resourceVersion", ""))
            objects.append((target.rt, listed["items"], version))
    named = any(target.names for target in found)
    printed = _printed(context, invocation, objects, output, all_namespaces, named)
    if not printed and not errors:
        nothing_in = "" if all_namespaces else f" in {namespace} namespace"
        if not any(rt.namespaced for rt, _, _ in objects):
            nothing_in = ""
        return f"No resources found{nothing_in}."
    return "\n".join(filter(None, [printed, *errors]))


def _printed(context, invocation, objects, output, all_namespaces, named) -> str:
    items = [(rt, obj) for rt, objs, _ in objects for obj in objs]
    if not items:
        return ""
    if output == "name":
        return "\n".join(object_name(rt, obj["metadata"]["name"]) for rt, obj in items)
    if output in ("yaml", "json"):
        if named and len(items) == 1:
            document: dict = items[0][1]
        else:
            document = {
                "apiVersion": "v1",
                "items": [obj for _, obj in items],
                "kind": "List",
                "metadata": {"resourceVersion": ""},
            }
        return as_yaml(document) if output == "yaml" else json.dumps(document, indent=4)
    several_kinds = len([1 for _, objs, _ in objects if objs]) > 1
    tables = []
    for rt, objs, version in objects:
        if not objs:
            continue
        table = printers.table(
            rt.name, objs, now=context.now, resource_version=version, include_object="Object"
        )
        rows = table_rows(
            table,
            wide=output == "wide",
            namespace_column=all_namespaces and rt.namespaced,
            show_labels=bool(invocation.flag("show-labels")),
            label_columns=[
                key for value in invocation.flag("label-columns") or [] for key in [value] if key
            ],
            kind_prefix=f"{kind_word(rt)}/" if several_kinds else "",
            headers=not invocation.flag("no-headers"),
        )
        tables.append(aligned(rows))
    return "\n\n".join(tables)


class _GoYamlDumper(yaml.SafeDumper):
    """Quotes as Go's YAML encoder does: "double" where a plain scalar would be misread
    (a timestamp, "true", a number as text), never 'single'."""

    def choose_scalar_style(self):
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


def as_yaml(document: object) -> str:
    """kubectl's YAML: keys sorted (it goes through JSON into a map), block style."""
    text = yaml.dump(document, Dumper=_GoYamlDumper, default_flow_style=False, sort_keys=True)
    return text.rstrip("\n")


# -- describe ------------------------------------------------------------------------


def describe_command(context: Context, invocation: Invocation) -> str:
    found, rest = targets(invocation.args)
    if len(found) != 1 or rest:
        raise UsageError("error: describe one kind of resource: kubectl describe pod web")
    [target] = found
    namespace = namespace_of(invocation)
    scope = namespace if target.rt.namespaced else ""
    names = target.names
    if not names:
        listed = context.api.list(
            target.rt.name, namespace=scope, label_selector=str(invocation.flag("selector") or "")
        )
        names = [obj["metadata"]["name"] for obj in listed["items"]]
        if not names:
            return (
                f"No resources found in {namespace} namespace." if scope else "No resources found."
            )
    texts = []
    for name in names:
        obj = context.api.get(target.rt.name, name, namespace=scope)
        texts.append(describe.describe(context.api, target.rt, obj, now=context.now))
    return "\n\n\n".join(texts)


# -- run and create ------------------------------------------------------------------


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


# -- delete --------------------------------------------------------------------------


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


# -- scale, label, annotate ----------------------------------------------------------


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


# -- workloads -----------------------------------------------------------------------


def set_image_command(context: Context, invocation: Invocation) -> str:
    found, changes = targets(invocation.args)
    if not found or not found[0].names or not changes:
        raise UsageError(
            "error: set image needs a resource and container=image:"
            " kubectl set image deployment/web nginx=nginx:1.27"
        )
    namespace = namespace_of(invocation)
    lines = []
    for target in found:
        if target.rt.name != "deployments":
            raise NotInTheBox(f"set image on {target.rt.name}: the box sets a Deployment's images")
        for name in target.names:
            containers = context.api.get("deployments", name, namespace=namespace)["spec"][
                "template"
            ]["spec"]["containers"]
            for change in changes:
                container, separator, image = change.partition("=")
                if not separator or not image:
                    raise UsageError(f"error: invalid image update: {change}")
                chosen = [c["name"] for c in containers if container in ("*", c["name"])]
                if not chosen:
                    raise UsageError(f'error: unable to find container named "{container}"')
                for each in chosen:
                    set_image(context.api, name, image, namespace=namespace, container=each)
            lines.append(f"{object_name(target.rt, name)} image updated")
    return "\n".join(lines)


def _one_deployment(invocation: Invocation) -> str:
    found, rest = targets(invocation.args)
    if len(found) != 1 or len(found[0].names) != 1 or rest:
        raise UsageError(f"error: kubectl {invocation.name} takes one deployment: deployment/web")
    if found[0].rt.name != "deployments":
        raise NotInTheBox(
            f"kubectl {invocation.name} of {found[0].rt.name}: the box rolls Deployments"
        )
    return found[0].names[0]


def rollout_status(context: Context, invocation: Invocation) -> str:
    name = _one_deployment(invocation)
    deployment = context.api.get("deployments", name, namespace=namespace_of(invocation))
    text, done = rollout.status(deployment)
    if done or invocation.flag("watch") is False:
        return text
    return text + "\n(The box looks once: run it again, or let the real kubectl wait.)"


def rollout_undo(context: Context, invocation: Invocation) -> str:
    name = _one_deployment(invocation)
    if invocation.flag("to-revision"):
        raise NotInTheBox(f"--to-revision: the box goes back one revision; {REAL_KUBECTL}")
    try:
        skipped = undo(context.api, name, namespace=namespace_of(invocation))
    except RollbackError as error:
        raise UsageError(f"error: {error}") from error
    return skipped or f"deployment.apps/{name} rolled back"


def rollout_restart(context: Context, invocation: Invocation) -> str:
    name = _one_deployment(invocation)
    stamp = format_time(context.now)
    patch = {
        "spec": {
            "template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}
        }
    }
    context.api.patch(
        "deployments", name, patch, patch_type="strategic", namespace=namespace_of(invocation)
    )
    return f"deployment.apps/{name} restarted"


def rollout_history(context: Context, invocation: Invocation) -> str:
    name = _one_deployment(invocation)
    namespace = namespace_of(invocation)
    deployment = context.api.get("deployments", name, namespace=namespace)
    replica_sets = context.api.list("replicasets", namespace=namespace)["items"]
    return rollout.history(deployment, replica_sets)


# -- nodes ----------------------------------------------------------------------------


def cordon(context: Context, invocation: Invocation) -> str:
    return nodes.cordon(context.api, _node_names(invocation), unschedulable=True)


def uncordon(context: Context, invocation: Invocation) -> str:
    return nodes.cordon(context.api, _node_names(invocation), unschedulable=False)


def drain(context: Context, invocation: Invocation) -> str:
    [node] = _node_names(invocation, one=True)
    return nodes.drain(context.api, node, force=bool(invocation.flag("force")))


def taint(context: Context, invocation: Invocation) -> str:
    found, changes = targets(invocation.args)
    if not found or found[0].rt.name != "nodes" or not found[0].names:
        raise UsageError(
            "error: taint needs a node: kubectl taint nodes node-1 key=value:NoSchedule"
        )
    if not changes:
        raise UsageError("error: at least one taint update is required")
    return "\n".join(
        nodes.taint(context.api, node, changes, overwrite=bool(invocation.flag("overwrite")))
        for node in found[0].names
    )


def _node_names(invocation: Invocation, *, one: bool = False) -> list[str]:
    names = [arg.removeprefix("node/").removeprefix("nodes/") for arg in invocation.args]
    if not names or (one and len(names) != 1):
        raise UsageError(f"error: USAGE: kubectl {invocation.name} NODE")
    return names


# -- logs, version, cluster-info, api-resources ----------------------------------------


def logs(context: Context, invocation: Invocation) -> str:
    if invocation.flag("follow"):
        raise NotInTheBox(
            "kubectl logs -f: the box shows the lines written so far; run it again, or"
            f" follow them as {REAL_KUBECTL}"
        )
    if len(invocation.args) != 1:
        raise UsageError("error: expected POD, or TYPE/NAME: kubectl logs web")
    word = invocation.args[0]
    namespace = namespace_of(invocation)
    pod = word.removeprefix("pod/").removeprefix("pods/")
    if "/" in pod:
        pod = _a_pod_of(context, word, namespace)
    tail = int(invocation.flag("tail"))  # type: ignore[arg-type]
    read = context.api.pod_log(
        pod,
        namespace=namespace,
        container=str(invocation.flag("container") or ""),
        previous=bool(invocation.flag("previous")),
        timestamps=bool(invocation.flag("timestamps")),
        tail_lines=tail if tail >= 0 else None,
    )
    return read.text.rstrip("\n")


def _a_pod_of(context: Context, word: str, namespace: str) -> str:
    """`kubectl logs deploy/web`: one of its pods, as kubectl picks one."""
    type_word, _, name = word.partition("/")
    rt = resource_type(type_word)
    if rt.name not in ("deployments", "replicasets", "replicationcontrollers"):
        raise UsageError(f"error: cannot get the logs of a {rt.singular}")
    owner = context.api.get(rt.name, name, namespace=namespace)
    selector = owner["spec"].get("selector") or {}
    match = selector.get("matchLabels", selector) if isinstance(selector, dict) else {}
    pods = context.api.list(
        "pods", namespace=namespace, label_selector=",".join(f"{k}={v}" for k, v in match.items())
    )["items"]
    if not pods:
        raise UsageError(f"error: no pods of {word}")
    return sorted(pods, key=lambda pod: pod["metadata"]["name"])[0]["metadata"]["name"]


def version(context: Context, invocation: Invocation) -> str:
    return (
        "Client Version: Podlab's command box (kubectl's grammar, no binary)\n"
        f"Server Version: {context.server_version}"
    )


def cluster_info(context: Context, invocation: Invocation) -> str:
    return (
        f"Kubernetes control plane is running at {context.server_url}\n\n"
        "To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'."
    )


def api_resources(context: Context, invocation: Invocation) -> str:
    rows = [["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]]
    for rt in sorted(RESOURCES.values(), key=lambda rt: (rt.group, rt.name)):
        rows.append(
            [rt.name, ",".join(rt.short_names), rt.api_version, str(rt.namespaced).lower(), rt.kind]
        )
    return aligned(rows)


def help_text(context: Context, invocation: Invocation) -> str:
    """What the box runs, for a newcomer who types `kubectl help` (real kubectl's help
    lists commands the box leaves to it)."""
    return "\n".join(
        [
            "The command box runs kubectl's everyday commands against this sandbox:",
            "",
            "  kubectl get pods [-o wide|yaml|json|name] [-A] [-l app=web] [--show-labels]",
            "  kubectl describe pod web          kubectl describe node node-1",
            "  kubectl run web --image=nginx [--restart=Never]",
            "  kubectl create deployment web --image=nginx --replicas=3",
            "  kubectl scale deployment web --replicas=5",
            "  kubectl set image deployment/web nginx=nginx:1.27",
            "  kubectl rollout status|undo|restart|history deployment/web",
            "  kubectl label|annotate pod web key=value",
            "  kubectl delete pod web           kubectl logs web [--previous] [--tail=5]",
            "  kubectl cordon|uncordon|drain node-1",
            "  kubectl taint nodes node-1 key=value:NoSchedule",
            "  kubectl api-resources            kubectl cluster-info",
            "",
            "For the rest (apply -f, exec, get -w, logs -f...), use the real kubectl:"
            " Download kubeconfig.",
        ]
    )


def server_error(error: ApiError) -> str:
    """kubectl's words for a Status: `Error from server (NotFound): pods "x" not found`,
    and an Invalid one's causes each on a line."""
    details = error.details or {}
    causes = details.get("causes") or []
    if error.reason == "Invalid" and causes:
        head = f'The {details.get("kind", "")} "{details.get("name", "")}" is invalid: '
        lines = [f"{c.get('field', '')}: {c.get('message', '')}".lstrip(": ") for c in causes]
        if len(lines) == 1:
            return head + lines[0]
        return head + "\n" + "\n".join(f"* {line}" for line in lines)
    return f"Error from server ({error.reason}): {error.message}"


HANDLERS: dict[tuple[str, ...], Handler] = {
    ("get",): get,
    ("describe",): describe_command,
    ("run",): run,
    ("create", "deployment"): create_deployment,
    ("create", "namespace"): create_namespace,
    ("delete",): delete,
    ("scale",): scale_command,
    ("label",): label,
    ("annotate",): annotate,
    ("cordon",): cordon,
    ("uncordon",): uncordon,
    ("drain",): drain,
    ("taint",): taint,
    ("set", "image"): set_image_command,
    ("rollout", "status"): rollout_status,
    ("rollout", "undo"): rollout_undo,
    ("rollout", "restart"): rollout_restart,
    ("rollout", "history"): rollout_history,
    ("logs",): logs,
    ("version",): version,
    ("cluster-info",): cluster_info,
    ("api-resources",): api_resources,
    ("help",): help_text,
}

__all__ = ["Context", "Target", "execute", "server_error"]
