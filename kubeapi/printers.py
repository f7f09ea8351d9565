"""Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for.

kubectl sends `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` and prints the
server's column definitions and cells as they come. Columns and cell texts follow
upstream's printers (pkg/printers/internalversion, v1.32). The API server runs them
with Wide on, so every column is sent and kubectl hides the priority-1 ones unless
`-o wide`. A resource with no printer gets upstream's default table: Name, Created At.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from cluster.objects import format_time, parse_time
from cluster.resources.label_selectors import selector_string, set_selector_string
from sandbox.pod_status import pod_status_label, ready_count, restarts

TABLE_API_VERSION = "meta.k8s.io/v1"
INCLUDE_OBJECT_CHOICES = ("None", "Metadata", "Object")
NONE = "<none>"
UNKNOWN = "<unknown>"
UNSET = "<unset>"
# Endpoints and EndpointSlices show three addresses or ports, then "+ N more...".
SHOWN_BEFORE_MORE = 3
# Go's RFC 3339 text for an unset metav1.Time (the default table's Created At).
ZERO_TIME = "0001-01-01T00:00:00Z"
NODE_ROLE_LABEL_PREFIX = "node-role.kubernetes.io/"
LEGACY_NODE_ROLE_LABEL = "kubernetes.io/role"


def table(
    resource: str,
    objects: list[dict],
    *,
    now: dt.datetime,
    resource_version: str,
    continue_token: str = "",
    include_object: str = "Metadata",
    first: bool = True,
) -> dict:
    """The Table for objects of one resource (its plural name), as of sandbox time now.

    include_object is the request's includeObject: "None", "Metadata" (a
    PartialObjectMetadata per row) or "Object" (`--sort-by` needs the whole object).
    first=False leaves the column definitions out, as in a watch after its first event.
    Raises ValueError for any other include_object (upstream answers 400 Bad Request).
    """
    if include_object not in INCLUDE_OBJECT_CHOICES:
        raise ValueError(f'unrecognized includeObject value: "{include_object}"')
    columns, cells = _PRINTERS.get(resource, _DEFAULT_PRINTER)
    metadata = {"resourceVersion": resource_version}
    if continue_token:
        metadata["continue"] = continue_token
    return {
        "kind": "Table",
        "apiVersion": TABLE_API_VERSION,
        "metadata": metadata,
        "columnDefinitions": [dict(column) for column in columns] if first else [],
        "rows": [_row(resource, obj, cells(obj, now), include_object) for obj in objects],
    }


def human_duration(elapsed: dt.timedelta) -> str:
    """apimachinery's duration.HumanDuration: two or three significant figures."""
    seconds = int(elapsed.total_seconds())  # truncates toward zero, as Go's int() does
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:  # a clock up to a second ahead of the server's still reads as now
        return "0s"
    if seconds < 2 * 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return _two_units(minutes, "m", seconds % 60, "s")
    if minutes < 3 * 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return _two_units(hours, "h", minutes % 60, "m")
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if days < 8:
        return _two_units(days, "d", hours % 24, "h")
    if days < 2 * 365:
        return f"{days}d"
    years = days // 365
    if years < 8:
        return _two_units(years, "y", days % 365, "d")
    return f"{years}y"


def _two_units(major: int, major_unit: str, minor: int, minor_unit: str) -> str:
    return f"{major}{major_unit}{minor}{minor_unit}" if minor else f"{major}{major_unit}"


def _since(timestamp: str | None, now: dt.datetime) -> str:
    """translateTimestampSince: the age of a timestamp, <unknown> when it is unset."""
    return human_duration(now - parse_time(timestamp)) if timestamp else UNKNOWN


def _name(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name", "")


def _age(obj: dict, now: dt.datetime) -> str:
    return _since((obj.get("metadata") or {}).get("creationTimestamp"), now)


def _row(resource: str, obj: dict, cells: list, include_object: str) -> dict:
    row: dict = {"cells": cells}
    phase = (obj.get("status") or {}).get("phase")
    if resource == "pods" and phase in _FINISHED_POD_MESSAGES:
        # printPod marks a finished pod's row Completed, for clients that dim or hide it.
        message = _FINISHED_POD_MESSAGES[phase]
        row["conditions"] = [
            {"type": "Completed", "status": "True", "reason": phase, "message": message}
        ]
    if include_object == "Object":
        row["object"] = obj
    elif include_object == "Metadata":
        row["object"] = {
            "kind": "PartialObjectMetadata",
            "apiVersion": TABLE_API_VERSION,
            "metadata": obj.get("metadata") or {},
        }
    return row


_FINISHED_POD_MESSAGES = {
    "Succeeded": "The pod has completed successfully.",
    "Failed": "The pod failed.",
}


def _column(name: str, description: str, cell_type: str = "string", wide: bool = False) -> dict:
    return {
        "name": name,
        "type": cell_type,
        "format": "name" if name == "Name" else "",
        "description": description,
        "priority": 1 if wide else 0,
    }


# Upstream takes most descriptions from the API's field docs; these are shortened.
_NAME = _column("Name", "Name must be unique within a namespace.")
_AGE = _column("Age", "The server time when this object was created.")
_CONTAINERS = _column("Containers", "Names of each container in the template.", wide=True)
_IMAGES = _column("Images", "Images referenced by each container in the template.", wide=True)


_POD_COLUMNS = (
    _NAME,
    _column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
    _column("Status", "The aggregate status of the containers in this pod."),
    _column("Restarts", "The number of times the containers in this pod have been restarted."),
    _AGE,
    _column("IP", "podIP address allocated to the pod.", wide=True),
    _column("Node", "NodeName indicates in which node this pod is scheduled.", wide=True),
    _column("Nominated Node", "The node this pod preempts other pods on.", wide=True),
    _column("Readiness Gates", "Readiness gates evaluated for pod readiness.", wide=True),
)


def _pod_cells(pod: dict, now: dt.datetime) -> list:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    pod_ips = status.get("podIPs") or [{"ip": status.get("podIP")}]
    return [
        _name(pod),
        ready_count(pod),
        pod_status_label(pod),
        _restarts_cell(pod, now),
        _age(pod, now),
        pod_ips[0].get("ip") or NONE,
        spec.get("nodeName") or NONE,
        status.get("nominatedNodeName") or NONE,
        _readiness_gates(spec, status),
    ]


def _restarts_cell(pod: dict, now: dt.datetime) -> str:
    """The restart count, with "(5m ago)" once a counted container has a last termination."""
    count = restarts(pod)
    last_restart = _last_restart(pod)
    if count and last_restart:
        return f"{count} ({human_duration(now - last_restart)} ago)"
    return str(count)


def _last_restart(pod: dict) -> dt.datetime | None:
    # Upstream looks only at the containers it counts (the init ones while the pod
    # initializes), but the latest last termination over both lists is the same one:
    # app containers run only after every init container, and before that have none.
    status = pod.get("status") or {}
    finished = [
        parse_time(last_termination["finishedAt"])
        for container in [
            *(status.get("initContainerStatuses") or []),
            *(status.get("containerStatuses") or []),
        ]
        if (last_termination := (container.get("lastState") or {}).get("terminated"))
        and last_termination.get("finishedAt")
    ]
    return max(finished, default=None)


def _readiness_gates(spec: dict, status: dict) -> str:
    gates = spec.get("readinessGates") or []
    if not gates:
        return NONE
    # Reversed, so that the first condition of a type wins, as upstream's loop breaks on it.
    conditions = {c.get("type"): c.get("status") for c in reversed(status.get("conditions") or [])}
    passed = sum(conditions.get(gate.get("conditionType")) == "True" for gate in gates)
    return f"{passed}/{len(gates)}"


_NODE_COLUMNS = (
    _NAME,
    _column("Status", "The status of the node"),
    _column("Roles", "The roles of the node"),
    _AGE,
    _column("Version", "Kubelet Version reported by the node."),
    _column("Internal-IP", "List of addresses reachable to the node.", wide=True),
    _column("External-IP", "List of addresses reachable to the node.", wide=True),
    _column("OS-Image", "OS Image reported by the node from /etc/os-release.", wide=True),
    _column("Kernel-Version", "Kernel Version reported by the node from 'uname -r'.", wide=True),
    _column("Container-Runtime", "ContainerRuntime Version reported by the node.", wide=True),
)


def _node_cells(node: dict, now: dt.datetime) -> list:
    status = node.get("status") or {}
    info = status.get("nodeInfo") or {}
    return [
        _name(node),
        _node_status(node),
        ",".join(_node_roles((node.get("metadata") or {}).get("labels") or {})) or NONE,
        _age(node, now),
        info.get("kubeletVersion", ""),
        _node_address(status, "InternalIP"),
        _node_address(status, "ExternalIP"),
        info.get("osImage") or UNKNOWN,
        info.get("kernelVersion") or UNKNOWN,
        info.get("containerRuntimeVersion") or UNKNOWN,
    ]


def _node_status(node: dict) -> str:
    # Only the Ready condition counts; a Ready of status Unknown still prints NotReady.
    by_type = {c.get("type"): c for c in (node.get("status") or {}).get("conditions") or []}
    ready = by_type.get("Ready")
    state = "Unknown" if ready is None else "NotReady" if ready.get("status") != "True" else "Ready"
    cordoned = (node.get("spec") or {}).get("unschedulable")
    return f"{state},SchedulingDisabled" if cordoned else state


def _node_roles(labels: dict) -> list[str]:
    roles = set()
    for key, value in labels.items():
        if key.startswith(NODE_ROLE_LABEL_PREFIX) and key != NODE_ROLE_LABEL_PREFIX:
            roles.add(key.removeprefix(NODE_ROLE_LABEL_PREFIX))
        elif key == LEGACY_NODE_ROLE_LABEL and value:
            roles.add(value)
    return sorted(roles)


def _node_address(status: dict, address_type: str) -> str:
    addresses = status.get("addresses") or []
    return next((a["address"] for a in addresses if a.get("type") == address_type), NONE)


_NAMESPACE_COLUMNS = (_NAME, _column("Status", "The status of the namespace"), _AGE)


def _namespace_cells(namespace: dict, now: dt.datetime) -> list:
    return [
        _name(namespace),
        (namespace.get("status") or {}).get("phase", ""),
        _age(namespace, now),
    ]


# Upstream's order, the wide columns among the others: kubectl -o wide keeps it.
_EVENT_COLUMNS = (
    _column("Last Seen", "The time of the most recent occurrence of this event."),
    _column("Type", "Type of this event (Normal, Warning)."),
    _column("Reason", "Why the object is in its current state, in a short CamelCase word."),
    _column("Object", "The object that this event is about."),
    _column("Subobject", "The part of the object the event is about, if not all of it.", wide=True),
    _column("Source", "The component reporting this event.", wide=True),
    _column("Message", "A human-readable description of the status of this operation."),
    _column("First Seen", "The time at which the event was first recorded.", wide=True),
    _column("Count", "The number of times this event has occurred.", wide=True),
    _column("Name", "Name must be unique within a namespace.", wide=True),
)


def _event_cells(event: dict, now: dt.datetime) -> list:
    involved = event.get("involvedObject") or {}
    first_seen = _since(event.get("firstTimestamp") or event.get("eventTime"), now)
    last_seen = _since(event["lastTimestamp"], now) if event.get("lastTimestamp") else first_seen
    count = event.get("count") or 1  # a singleton event of the events.k8s.io API has none
    if series := event.get("series"):
        last_seen = _since(series.get("lastObservedTime"), now)
        count = series.get("count", 0)
    kind = str(involved.get("kind", "")).lower()
    return [
        last_seen,
        event.get("type", ""),
        event.get("reason", ""),
        f"{kind}/{involved['name']}" if involved.get("name") else kind,
        involved.get("fieldPath", ""),
        _event_source(event),
        str(event.get("message", "")).strip(),
        first_seen,
        int(count),
        _name(event),
    ]


def _event_source(event: dict) -> str:
    """Component and host ("kubelet, node-1"); the reporting fields stand in for them."""
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent", "")
    host = source.get("host") or event.get("reportingInstance", "")
    return f"{component}, {host}" if host else component


_DEPLOYMENT_COLUMNS = (
    _NAME,
    _column("Ready", "Number of the pod with ready state"),
    _column("Up-to-date", "Total number of pods that have the desired template spec."),
    _column("Available", "Total number of available pods targeted by this deployment."),
    _AGE,
    _CONTAINERS,
    _IMAGES,
    _column("Selector", "Label selector for pods.", wide=True),
)


def _deployment_cells(deployment: dict, now: dt.datetime) -> list:
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    return [
        _name(deployment),
        f"{status.get('readyReplicas', 0)}/{_desired_replicas(spec)}",
        int(status.get("updatedReplicas", 0)),
        int(status.get("availableReplicas", 0)),
        _age(deployment, now),
        *_container_cells(spec),
        # Upstream prints a Deployment's selector bare: empty, not <none>, when it has none.
        selector_string(spec.get("selector") or {}),
    ]


def _replica_set_columns(owner: str) -> tuple[dict, ...]:
    return (
        _NAME,
        _column("Desired", "Replicas is the number of desired replicas.", "integer"),
        _column("Current", "The most recently observed number of replicas.", "integer"),
        _column("Ready", f"The number of ready replicas for this {owner}.", "integer"),
        _AGE,
        _CONTAINERS,
        _IMAGES,
        _column("Selector", "A label query over pods that should match the replicas.", wide=True),
    )


def _replica_set_cells(replica_set: dict, now: dt.datetime) -> list:
    spec = replica_set.get("spec") or {}
    selector = selector_string(spec.get("selector") or {})
    return [*_replica_counts(replica_set, now), *_container_cells(spec), selector or NONE]


def _replication_controller_cells(controller: dict, now: dt.datetime) -> list:
    # A ReplicationController's selector is a plain map, and its template is optional.
    spec = controller.get("spec") or {}
    selector = set_selector_string(spec.get("selector") or {})
    return [*_replica_counts(controller, now), *_container_cells(spec), selector or NONE]


def _replica_counts(owner: dict, now: dt.datetime) -> list:
    status = owner.get("status") or {}
    return [
        _name(owner),
        _desired_replicas(owner.get("spec") or {}),
        int(status.get("replicas", 0)),
        int(status.get("readyReplicas", 0)),
        _age(owner, now),
    ]


def _desired_replicas(spec: dict) -> int:
    # The API server defaults spec.replicas to 1; only a hand-built object lacks it.
    return 1 if spec.get("replicas") is None else int(spec["replicas"])


def _container_cells(spec: dict) -> list[str]:
    """The template's container names and images, each comma-joined (layoutContainerCells)."""
    containers = ((spec.get("template") or {}).get("spec") or {}).get("containers") or []
    return [
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
    ]


_SERVICE_COLUMNS = (
    _NAME,
    _column("Type", "type determines how the Service is exposed."),
    _column("Cluster-IP", "clusterIP is the IP address of the service."),
    _column("External-IP", "IP addresses for which nodes also accept traffic for this service."),
    _column("Port(s)", "The list of ports that are exposed by this service."),
    _AGE,
    _column("Selector", "Route service traffic to pods with labels matching this.", wide=True),
)


def _service_cells(service: dict, now: dt.datetime) -> list:
    spec = service.get("spec") or {}
    cluster_ips = spec.get("clusterIPs") or [spec.get("clusterIP")]
    return [
        _name(service),
        spec.get("type", "ClusterIP"),
        cluster_ips[0] or NONE,
        _service_external_ip(service),
        _service_ports(spec.get("ports") or []) or NONE,
        _age(service, now),
        set_selector_string(spec.get("selector") or {}) or NONE,
    ]


def _service_external_ip(service: dict) -> str:
    spec = service.get("spec") or {}
    external_ips = spec.get("externalIPs") or []
    service_type = spec.get("type", "ClusterIP")
    if service_type in ("ClusterIP", "NodePort"):
        return ",".join(external_ips) or NONE
    if service_type == "LoadBalancer":
        ingress = ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        balancers = sorted({i.get("ip") or i.get("hostname") for i in ingress} - {None, ""})
        # Never clipped to 16 characters: that is only for a printer that is not wide.
        return ",".join(balancers + external_ips) or "<pending>"
    if service_type == "ExternalName":
        return spec.get("externalName", "")
    return UNKNOWN


def _service_ports(ports: list[dict]) -> str:
    """Port, node port when there is one, protocol: "80/TCP,443:30443/TCP"."""
    texts = []
    for port in ports:
        node_port = f":{port['nodePort']}" if port.get("nodePort") else ""
        texts.append(f"{port.get('port')}{node_port}/{port.get('protocol', 'TCP')}")
    return ",".join(texts)


_ENDPOINTS_COLUMNS = (
    _NAME,
    _column("Endpoints", "The set of all endpoints is the union of all subsets."),
    _AGE,
)


def _endpoints_cells(endpoints: dict, now: dt.datetime) -> list:
    return [_name(endpoints), _endpoints_text(endpoints.get("subsets") or []), _age(endpoints, now)]


def _endpoints_text(subsets: list[dict]) -> str:
    """Each ready address with each port ("10.244.1.2:80"); a subset with no ports, bare."""
    if not subsets:
        return NONE
    targets = []
    for subset in subsets:
        addresses = [address.get("ip", "") for address in subset.get("addresses") or []]
        ports = subset.get("ports") or []
        if not ports:
            targets += addresses
        for port in ports:
            targets += [_host_port(ip, port.get("port")) for ip in addresses]
    return _first_few(targets, empty="")


def _host_port(ip: str, port: object) -> str:
    # net.JoinHostPort: an IPv6 address goes in brackets.
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _first_few(texts: list[str], *, empty: str) -> str:
    shown = ",".join(texts[:SHOWN_BEFORE_MORE])
    if len(texts) > SHOWN_BEFORE_MORE:
        return f"{shown} + {len(texts) - SHOWN_BEFORE_MORE} more..."
    return shown or empty


_ENDPOINT_SLICE_COLUMNS = (
    _NAME,
    _column("AddressType", "The type of address carried by this EndpointSlice."),
    _column("Ports", "The network ports exposed by each endpoint in this slice."),
    _column("Endpoints", "endpoints is a list of unique endpoints in this slice."),
    _AGE,
)


def _endpoint_slice_cells(endpoint_slice: dict, now: dt.datetime) -> list:
    # A slice port may leave its number unset (all ports), and even its name.
    ports = [
        str(port["port"]) if port.get("port") is not None else _or_star(port.get("name"))
        for port in endpoint_slice.get("ports") or []
    ]
    addresses = [
        address
        for endpoint in endpoint_slice.get("endpoints") or []
        for address in endpoint.get("addresses") or []
    ]
    return [
        _name(endpoint_slice),
        endpoint_slice.get("addressType", ""),
        _first_few(ports, empty=UNSET),
        _first_few(addresses, empty=UNSET),
        _age(endpoint_slice, now),
    ]


def _or_star(name: str | None) -> str:
    return "*" if name is None else name


_LEASE_COLUMNS = (
    _NAME,
    _column("Holder", "holderIdentity contains the identity of the holder of a current lease."),
    _AGE,
)


def _lease_cells(lease: dict, now: dt.datetime) -> list:
    holder = (lease.get("spec") or {}).get("holderIdentity") or ""
    return [_name(lease), holder, _age(lease, now)]


_CONFIG_MAP_COLUMNS = (
    _NAME,
    _column("Data", "Number of keys in the ConfigMap's data and binaryData.", "integer"),
    _AGE,
)


def _config_map_cells(config_map: dict, now: dt.datetime) -> list:
    keys = len(config_map.get("data") or {}) + len(config_map.get("binaryData") or {})
    return [_name(config_map), keys, _age(config_map, now)]


_DEFAULT_COLUMNS = (_NAME, _column("Created At", _AGE["description"], "date"))


def _default_cells(obj: dict, now: dt.datetime) -> list:
    # Upstream's default convertor prints the timestamp itself, not an age.
    created = (obj.get("metadata") or {}).get("creationTimestamp")
    return [_name(obj), format_time(parse_time(created)) if created else ZERO_TIME]


_PRINTERS: dict[str, tuple[tuple[dict, ...], Callable[[dict, dt.datetime], list]]] = {
    "pods": (_POD_COLUMNS, _pod_cells),
    "nodes": (_NODE_COLUMNS, _node_cells),
    "namespaces": (_NAMESPACE_COLUMNS, _namespace_cells),
    "events": (_EVENT_COLUMNS, _event_cells),
    "deployments": (_DEPLOYMENT_COLUMNS, _deployment_cells),
    "replicasets": (_replica_set_columns("replica set"), _replica_set_cells),
    "replicationcontrollers": (
        _replica_set_columns("replication controller"),
        _replication_controller_cells,
    ),
    "services": (_SERVICE_COLUMNS, _service_cells),
    "endpoints": (_ENDPOINTS_COLUMNS, _endpoints_cells),
    "endpointslices": (_ENDPOINT_SLICE_COLUMNS, _endpoint_slice_cells),
    "leases": (_LEASE_COLUMNS, _lease_cells),
    "configmaps": (_CONFIG_MAP_COLUMNS, _config_map_cells),
}
_DEFAULT_PRINTER = (_DEFAULT_COLUMNS, _default_cells)
