"""`kubectl describe` of pods and nodes, laid out as kubectl's describers lay them out
(pkg/describe, v1.32): sections of `Key:\\tvalue` lines through a tabwriter, each level
indented two spaces, then the object's Events. Other kinds get their YAML, with a word
on why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cluster.apiserver import ApiServer
from cluster.objects import parse_time
from cluster.quantity import cpu_millis, memory_bytes
from cluster.resources import ResourceType
from kubeapi.command_box.context import as_yaml
from kubeapi.printers import human_duration

NONE = "<none>"
_PADDING = 2


def describe(api: ApiServer, rt: ResourceType, obj: dict, *, now: dt.datetime) -> str:
    describer = _DESCRIBERS.get(rt.name)
    if describer is None:
        return (
            f"(The box describes pods and nodes; this is the {rt.singular} as stored."
            f" The real kubectl describes every kind.)\n{as_yaml(obj)}"
        )
    lines = describer(api, obj, now)
    lines += _events(api, obj, now)
    return tabwrite("\n".join(lines))


def tabwrite(text: str) -> str:
    """Go's text/tabwriter (minwidth 0, padding 2, flags 0): a column's cells in a run
    of lines that each have that column are padded to the widest of them."""
    rows = [line.split("\t") for line in text.split("\n")]
    widths: list[list[int]] = [[0] * len(row) for row in rows]
    _align(rows, widths, 0, 0, len(rows))
    out = []
    for row, row_widths in zip(rows, widths, strict=True):
        cells = [cell.ljust(row_widths[i]) for i, cell in enumerate(row[:-1])]
        out.append("".join([*cells, row[-1]]))
    return "\n".join(out)


def _align(rows, widths, column, start, end) -> None:
    index = start
    while index < end:
        if len(rows[index]) - 1 <= column:
            index += 1
            continue
        block_end = index
        width = 0
        while block_end < end and len(rows[block_end]) - 1 > column:
            width = max(width, len(rows[block_end][column]))
            block_end += 1
        for row in range(index, block_end):
            widths[row][column] = width + _PADDING
        _align(rows, widths, column + 1, index, block_end)
        index = block_end


def _time(text: str | None) -> str:
    """RFC 1123 with a numeric zone, as describe prints times."""
    if not text:
        return "<unset>"
    return parse_time(text).strftime("%a, %d %b %Y %H:%M:%S +0000")


def _map_lines(title: str, values: dict | None, indent: str = "") -> list[str]:
    if not values:
        return [f"{indent}{title}:\t{NONE}"]
    items = sorted(values.items())
    first, *rest = [f"{k}={v}" for k, v in items]
    return [f"{indent}{title}:\t{first}", *(f"{indent}\t{line}" for line in rest)]


def _annotation_lines(values: dict | None) -> list[str]:
    if not values:
        return [f"Annotations:\t{NONE}"]
    items = sorted(values.items())
    lines = []
    for index, (key, value) in enumerate(items):
        lines.append(f"{'Annotations:' if index == 0 else ''}\t{key}: {value}")
    return lines


# -- pods ------------------------------------------------------------------------------


def _pod(api: ApiServer, pod: dict, now: dt.datetime) -> list[str]:
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    node = spec.get("nodeName")
    lines = [
        f"Name:\t{meta['name']}",
        f"Namespace:\t{meta.get('namespace', '')}",
        f"Priority:\t{spec.get('priority', 0)}",
    ]
    if spec.get("priorityClassName"):
        lines.append(f"Priority Class Name:\t{spec['priorityClassName']}")
    lines.append(f"Service Account:\t{spec.get('serviceAccountName', 'default')}")
    lines.append(f"Node:\t{node}/{status.get('hostIP', '')}" if node else f"Node:\t{NONE}")
    if status.get("startTime"):
        lines.append(f"Start Time:\t{_time(status['startTime'])}")
    lines += _map_lines("Labels", meta.get("labels"))
    lines += _annotation_lines(meta.get("annotations"))
    if meta.get("deletionTimestamp"):
        grace = meta.get("deletionGracePeriodSeconds", 0)
        lasts = human_duration(now - parse_time(meta["deletionTimestamp"]))
        lines.append(f"Status:\tTerminating (lasts {lasts})")
        lines.append(f"Termination Grace Period:\t{grace}s")
    else:
        lines.append(f"Status:\t{status.get('phase', '')}")
    if status.get("reason"):
        lines.append(f"Reason:\t{status['reason']}")
    if status.get("message"):
        lines.append(f"Message:\t{status['message']}")
    lines.append(f"IP:\t{status.get('podIP', '')}")
    ips = status.get("podIPs") or []
    if ips:
        lines.append("IPs:")
        lines += [f"  IP:\t{ip.get('ip', '')}" for ip in ips]
    else:
        lines.append(f"IPs:\t{NONE}")
    owner = next((r for r in meta.get("ownerReferences") or [] if r.get("controller")), None)
    if owner:
        lines.append(f"Controlled By:\t{owner['kind']}/{owner['name']}")
    statuses = {s["name"]: s for s in status.get("containerStatuses") or []}
    lines.append("Containers:")
    for container in spec.get("containers") or []:
        lines += _container(container, statuses.get(container["name"]))
    conditions = status.get("conditions") or []
    if conditions:
        lines += ["Conditions:", "  Type\tStatus"]
        lines += [f"  {c['type']} \t{c['status']} " for c in conditions]
    lines.append(f"Volumes:\t{NONE}")
    lines.append(f"QoS Class:\t{status.get('qosClass', 'BestEffort')}")
    lines += _map_lines("Node-Selectors", spec.get("nodeSelector"))
    lines += _tolerations(spec.get("tolerations") or [])
    return lines


def _container(container: dict, status: dict | None) -> list[str]:
    status = status or {}
    lines = [f"  {container['name']}:"]
    if status.get("containerID"):
        lines.append(f"    Container ID:\t{status['containerID']}")
    lines.append(f"    Image:\t{container.get('image', '')}")
    lines.append(f"    Image ID:\t{status.get('imageID', '')}")
    ports = container.get("ports") or []
    if ports:
        shown = ", ".join(f"{p['containerPort']}/{p.get('protocol', 'TCP')}" for p in ports)
        hosts = ", ".join(f"{p.get('hostPort', 0)}/{p.get('protocol', 'TCP')}" for p in ports)
        lines += [f"    Port:\t{shown}", f"    Host Port:\t{hosts}"]
    else:
        lines += [f"    Port:\t{NONE}", f"    Host Port:\t{NONE}"]
    if container.get("command"):
        lines += ["    Command:", *(f"      {word}" for word in container["command"])]
    if container.get("args"):
        lines += ["    Args:", *(f"      {word}" for word in container["args"])]
    lines += _state("State", status.get("state") or {})
    if status.get("lastState"):
        lines += _state("Last State", status["lastState"])
    lines.append(f"    Ready:\t{'True' if status.get('ready') else 'False'}")
    lines.append(f"    Restart Count:\t{status.get('restartCount', 0)}")
    resources = container.get("resources") or {}
    for title in ("limits", "requests"):
        if resources.get(title):
            lines.append(f"    {title.capitalize()}:")
            lines += [f"      {k}:\t{v}" for k, v in sorted(resources[title].items())]
    env = container.get("env") or []
    if env:
        lines.append("    Environment:")
        lines += [f"      {e['name']}:\t{e.get('value', '')}" for e in env]
    else:
        lines.append(f"    Environment:\t{NONE}")
    lines.append(f"    Mounts:\t{NONE}")
    return lines


def _state(title: str, state: dict) -> list[str]:
    if "running" in state:
        return [
            f"    {title}:\tRunning",
            f"      Started:\t{_time(state['running'].get('startedAt'))}",
        ]
    if "waiting" in state:
        lines = [f"    {title}:\tWaiting"]
        if state["waiting"].get("reason"):
            lines.append(f"      Reason:\t{state['waiting']['reason']}")
        if state["waiting"].get("message"):
            lines.append(f"      Message:\t{state['waiting']['message']}")
        return lines
    if "terminated" in state:
        done = state["terminated"]
        lines = [f"    {title}:\tTerminated"]
        if done.get("reason"):
            lines.append(f"      Reason:\t{done['reason']}")
        if done.get("message"):
            lines.append(f"      Message:\t{done['message']}")
        lines.append(f"      Exit Code:\t{done.get('exitCode', 0)}")
        if done.get("signal"):
            lines.append(f"      Signal:\t{done['signal']}")
        lines.append(f"      Started:\t{_time(done.get('startedAt'))}")
        lines.append(f"      Finished:\t{_time(done.get('finishedAt'))}")
        return lines
    return [f"    {title}:\tWaiting"]


def _tolerations(tolerations: list[dict]) -> list[str]:
    if not tolerations:
        return [f"Tolerations:\t{NONE}"]
    lines = []
    for index, toleration in enumerate(tolerations):
        text = toleration.get("key", "")
        if toleration.get("value"):
            text += f"={toleration['value']}"
        if toleration.get("effect"):
            text += f":{toleration['effect']}"
        if toleration.get("operator") == "Exists" and not toleration.get("value"):
            text += " op=Exists"
        if toleration.get("tolerationSeconds") is not None:
            text += f" for {toleration['tolerationSeconds']}s"
        lines.append(f"{'Tolerations:' if index == 0 else ''}\t{text}")
    return lines


# -- nodes -----------------------------------------------------------------------------


def _node(api: ApiServer, node: dict, now: dt.datetime) -> list[str]:
    meta, spec, status = node["metadata"], node.get("spec") or {}, node.get("status") or {}
    labels = meta.get("labels") or {}
    roles = sorted(
        key.removeprefix("node-role.kubernetes.io/")
        for key in labels
        if key.startswith("node-role.kubernetes.io/")
    )
    lines = [f"Name:\t{meta['name']}", f"Roles:\t{','.join(roles) or NONE}"]
    lines += _map_lines("Labels", labels)
    lines += _annotation_lines(meta.get("annotations"))
    lines.append(f"CreationTimestamp:\t{_time(meta.get('creationTimestamp'))}")
    taints = spec.get("taints") or []
    if taints:
        for index, taint in enumerate(taints):
            value = f"={taint['value']}" if taint.get("value") else ""
            title = "Taints:" if index == 0 else ""
            lines.append(f"{title}\t{taint['key']}{value}:{taint['effect']}")
    else:
        lines.append(f"Taints:\t{NONE}")
    lines.append(f"Unschedulable:\t{'true' if spec.get('unschedulable') else 'false'}")
    lease = _lease(api, meta["name"])
    lines += ["Lease:", f"  HolderIdentity:\t{lease.get('holderIdentity', '<unset>')}"]
    lines.append(f"  AcquireTime:\t{_time(lease.get('acquireTime'))}")
    lines.append(f"  RenewTime:\t{_time(lease.get('renewTime'))}")
    lines += [
        "Conditions:",
        "  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage",
        "  ----\t------\t-----------------\t------------------\t------\t-------",
    ]
    for c in status.get("conditions") or []:
        # Each cell but the last ends in a space, as kubectl writes them.
        lines.append(
            f"  {c['type']} \t{c['status']} \t{_time(c.get('lastHeartbeatTime'))} "
            f"\t{_time(c.get('lastTransitionTime'))} \t{c.get('reason', '')} "
            f"\t{c.get('message', '')}"
        )
    lines.append("Addresses:")
    lines += [f"  {a['type']}:\t{a['address']}" for a in status.get("addresses") or []]
    for title, values in (
        ("Capacity", status.get("capacity")),
        ("Allocatable", status.get("allocatable")),
    ):
        lines.append(f"{title}:")
        lines += [f"  {k}:\t{v}" for k, v in sorted((values or {}).items())]
    info = status.get("nodeInfo") or {}
    lines.append("System Info:")
    for title, key in (
        ("Machine ID", "machineID"), ("System UUID", "systemUUID"), ("Boot ID", "bootID"),
        ("Kernel Version", "kernelVersion"), ("OS Image", "osImage"),
        ("Operating System", "operatingSystem"), ("Architecture", "architecture"),
        ("Container Runtime Version", "containerRuntimeVersion"),
        ("Kubelet Version", "kubeletVersion"), ("Kube-Proxy Version", "kubeProxyVersion"),
    ):  # fmt: skip
        lines.append(f"  {title}:\t{info.get(key, '')}")
    if spec.get("podCIDR"):
        lines.append(f"PodCIDR:\t{spec['podCIDR']}")
        lines.append(f"PodCIDRs:\t{','.join(spec.get('podCIDRs') or [spec['podCIDR']])}")
    lines += _node_pods(api, meta["name"], status.get("allocatable") or {}, now)
    return lines


def _lease(api: ApiServer, name: str) -> dict:
    from cluster.apiserver import ApiError  # noqa: PLC0415

    try:
        return api.get("leases", name, namespace="kube-node-lease").get("spec") or {}
    except ApiError:
        return {}


def _node_pods(api: ApiServer, node: str, allocatable: dict, now: dt.datetime) -> list[str]:
    selector = f"spec.nodeName={node},status.phase!=Succeeded,status.phase!=Failed"
    pods = api.list("pods", field_selector=selector)["items"]
    cpu_total = cpu_millis(allocatable.get("cpu", "0")) or 1
    memory_total = memory_bytes(allocatable.get("memory", "0")) or 1
    lines = [
        f"Non-terminated Pods:\t({len(pods)} in total)",
        # The empty column after Name is kubectl's ("\t\t"), kept for its spacing.
        "  Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge",
        "  ---------\t----\t\t------------\t----------\t---------------\t-------------\t---",
    ]
    totals = {"cpu": [0, 0], "memory": [0, 0]}
    for pod in pods:
        requests, limits = _pod_resources(pod)
        totals["cpu"][0] += requests["cpu"]
        totals["cpu"][1] += limits["cpu"]
        totals["memory"][0] += requests["memory"]
        totals["memory"][1] += limits["memory"]
        meta = pod["metadata"]
        age = human_duration(now - parse_time(meta["creationTimestamp"]))
        lines.append(
            f"  {meta['namespace']}\t{meta['name']}\t"
            f"\t{_millis(requests['cpu'])} ({_percent(requests['cpu'], cpu_total)}%)"
            f"\t{_millis(limits['cpu'])} ({_percent(limits['cpu'], cpu_total)}%)"
            f"\t{_bytes(requests['memory'])} ({_percent(requests['memory'], memory_total)}%)"
            f"\t{_bytes(limits['memory'])} ({_percent(limits['memory'], memory_total)}%)"
            f"\t{age}"
        )
    lines += [
        "Allocated resources:",
        "  (Total limits may be over 100 percent, i.e., overcommitted.)",
        "  Resource\tRequests\tLimits",
        "  --------\t--------\t------",
        f"  cpu\t{_millis(totals['cpu'][0])} ({_percent(totals['cpu'][0], cpu_total)}%)"
        f"\t{_millis(totals['cpu'][1])} ({_percent(totals['cpu'][1], cpu_total)}%)",
        f"  memory\t{_bytes(totals['memory'][0])} ({_percent(totals['memory'][0], memory_total)}%)"
        f"\t{_bytes(totals['memory'][1])} ({_percent(totals['memory'][1], memory_total)}%)",
        # Podlab's containers ask for no ephemeral storage; kubectl prints the row anyway.
        "  ephemeral-storage\t0 (0%)\t0 (0%)",
    ]
    return lines


def _pod_resources(pod: dict) -> tuple[dict[str, int], dict[str, int]]:
    requests = {"cpu": 0, "memory": 0}
    limits = {"cpu": 0, "memory": 0}
    for container in (pod.get("spec") or {}).get("containers") or []:
        resources = container.get("resources") or {}
        for into, values in (
            (requests, resources.get("requests") or {}),
            (limits, resources.get("limits") or {}),
        ):
            into["cpu"] += cpu_millis(values.get("cpu", "0"))
            into["memory"] += memory_bytes(values.get("memory", "0"))
    return requests, limits


def _percent(part: int, whole: int) -> int:
    return int(Decimal(part) * 100 / Decimal(whole))


def _millis(value: int) -> str:
    if value == 0:
        return "0"
    return f"{value // 1000}" if value % 1000 == 0 else f"{value}m"


def _bytes(value: int) -> str:
    if value == 0:
        return "0"
    for unit, size in (("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if value % size == 0:
            return f"{value // size}{unit}"
    return str(value)


# -- events ----------------------------------------------------------------------------


def _events(api: ApiServer, obj: dict, now: dt.datetime) -> list[str]:
    meta = obj["metadata"]
    namespace = meta.get("namespace", "")
    events = _events_about(api, meta["name"], namespace, meta.get("uid", ""))
    if obj.get("kind") == "Node":
        # kubectl asks twice for a node's: its controllers name it by uid, its kubelet by
        # name (upstream has not made them agree), and it shows both.
        events += _events_about(api, meta["name"], namespace, meta["name"])
    # By last time, those of one second in the order found, as kubectl's sort leaves them.
    events.sort(key=lambda e: e.get("lastTimestamp") or "")
    if not events:
        return [f"Events:\t{NONE}"]
    lines = [
        "Events:",
        "  Type\tReason\tAge\tFrom\tMessage",
        "  ----\t------\t----\t----\t-------",
    ]
    for event in events:
        lines.append(
            f"  {event.get('type', '')}\t{event.get('reason', '')}\t{_interval(event, now)}"
            f"\t{_source(event)}\t{str(event.get('message', '')).strip()}"
        )
    return lines


def _events_about(api: ApiServer, name: str, namespace: str, uid: str) -> list[dict]:
    """kubectl's searchEvents: a node's namespace is "", which lists every namespace."""
    fields = [f"involvedObject.name={name}", f"involvedObject.namespace={namespace}"]
    if uid:
        fields.append(f"involvedObject.uid={uid}")
    selector = ",".join(fields)
    return api.list("events", namespace=namespace, field_selector=selector)["items"]


def _interval(event: dict, now: dt.datetime) -> str:
    """ "10s", or "2s (x3 over 40s)" for a repeated event, as describe shows it."""
    first = event.get("firstTimestamp") or event.get("eventTime")
    last = event.get("lastTimestamp") or first
    count = event.get("count") or 1
    if series := event.get("series"):
        last, count = series.get("lastObservedTime", last), series.get("count", count)
    since_last = human_duration(now - parse_time(last)) if last else "<unknown>"
    if count > 1 and first:
        return f"{since_last} (x{count} over {human_duration(now - parse_time(first))})"
    return since_last


def _source(event: dict) -> str:
    source = event.get("source") or {}
    return source.get("component") or event.get("reportingComponent", "")


_DESCRIBERS = {"pods": _pod, "nodes": _node}
