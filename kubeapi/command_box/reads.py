"""The commands that read: get, describe, logs, and what the box says of itself
(version, cluster-info, api-resources, help). get prints the API server's Tables as
kubectl's human printer does."""

from __future__ import annotations

import json

from cluster.apiserver import ApiError
from cluster.resources import ResourceType
from kubeapi import discovery, printers
from kubeapi.command_box import describe
from kubeapi.command_box.context import (
    REAL_KUBECTL,
    Context,
    as_yaml,
    namespace_of,
    server_error,
)
from kubeapi.command_box.grammar import Invocation, NotInTheBox, UsageError
from kubeapi.command_box.targets import kind_word, object_name, resource_type, targets
from kubeapi.command_box.text_tables import aligned, table_rows

OUTPUT_FORMATS = ("", "wide", "yaml", "json", "name")
# Real kubectl's template printers (-o jsonpath='{.spec.nodeName}'), left to it.
TEMPLATE_FORMATS = (
    "jsonpath",
    "jsonpath-file",
    "jsonpath-as-json",
    "custom-columns",
    "custom-columns-file",
    "go-template",
    "go-template-file",
    "template",
    "templatefile",
)


def get(context: Context, invocation: Invocation) -> str:
    if invocation.flag("watch"):
        raise NotInTheBox(
            "kubectl get -w: the box answers once. The diagram shows each change as it"
            f" comes, and watching in a terminal is what {REAL_KUBECTL}"
        )
    output = str(invocation.flag("output") or "")
    template = output.partition("=")[0]
    if template in TEMPLATE_FORMATS:
        raise NotInTheBox(
            f"-o {template}: the box prints wide, yaml, json and name; templates are what"
            f" {REAL_KUBECTL}"
        )
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
    for rt in sorted(discovery.served(), key=lambda rt: (rt.group, rt.name)):
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
