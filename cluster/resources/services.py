"""core/v1 Service: a stable virtual IP and port in front of the pods its selector picks.

Defaulting follows upstream's SetDefaults_Service and the IP-family defaults the
service REST storage infers (initIPFamilyFields); validation follows ValidateService
and ValidateServiceUpdate (pkg/apis/core/validation). The cluster IP itself is
allocated by the API server (cluster/apiserver/service_ips.py), after validation,
in the same write as the Service.
"""

from __future__ import annotations

import ipaddress
import re

from cluster.resources.field_errors import (
    FieldError,
    duplicate,
    forbidden,
    invalid,
    not_supported,
    required,
)
from cluster.resources.meta import (
    DNS1123_LABEL_MAX_LENGTH,
    child_mapping,
    is_integer,
    mapping,
    max_len_error,
    regex_error,
    scalar_key,
    sequence,
    text,
    validate_dns1123_label,
    validate_dns1123_subdomain,
    validate_immutable_meta,
    validate_labels,
    validate_object_meta,
)
from cluster.resources.pod_validation import PORT_PROTOCOLS, PORT_RANGE, port_name_errors
from cluster.resources.types import ResourceType

CLUSTER_IP_NONE = "None"  # a headless Service
SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
SESSION_AFFINITIES = ["ClientIP", "None"]
IP_FAMILIES = ["IPv4", "IPv6"]
IP_FAMILY_POLICIES = ["PreferDualStack", "RequireDualStack", "SingleStack"]
TRAFFIC_POLICIES = ["Cluster", "Local"]
# Upstream's DefaultClientIPServiceAffinitySeconds: three hours.
DEFAULT_CLIENT_IP_TIMEOUT_SECONDS = 10800

NOT_AN_IP = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
CLUSTER_IP_CHANGED = "may not change once set"
NO_HEADLESS_NODE_PORTS = "may not be set to 'None' for LoadBalancer or NodePort services"
NODE_PORT_ON_CLUSTER_IP = "may not be used when `type` is 'ClusterIP'"
FIRST_IP_MUST_MATCH = "first value must match `clusterIP`"  # ours: upstream normalises first
NOT_DUAL_STACK = "this cluster is not configured for dual-stack services"

_DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
_DNS1035_LABEL_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with"
    " an alphabetic character, and end with an alphanumeric character"
)


def dns1035_label_errors(value: str) -> list[str]:
    """A Service's name must also be a DNS-1035 label: it becomes a DNS name."""
    errors = []
    if len(value) > DNS1123_LABEL_MAX_LENGTH:
        errors.append(max_len_error(DNS1123_LABEL_MAX_LENGTH))
    if not re.fullmatch(_DNS1035_LABEL_FMT, value):
        errors.append(regex_error(_DNS1035_LABEL_MSG, _DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errors


# --- defaults --------------------------------------------------------------------


def default(service: dict) -> None:
    """A new Service's defaults, then a fresh status (upstream's PrepareForCreate)."""
    default_decoded(service)
    spec = child_mapping(service, "spec")
    if spec is not None:
        _normalise_cluster_ips(spec)
        _default_ip_families(spec)
    service["status"] = {"loadBalancer": {}}


def default_decoded(service: dict) -> None:
    """SetDefaults_Service: what every decoded Service gains, updates included."""
    spec = child_mapping(service, "spec")
    if spec is None:
        return
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["sessionAffinity"] == "ClientIP":
        config = spec.setdefault("sessionAffinityConfig", {})
        if isinstance(config, dict):
            client_ip = config.setdefault("clientIP", {})
            if isinstance(client_ip, dict):
                client_ip.setdefault("timeoutSeconds", DEFAULT_CLIENT_IP_TIMEOUT_SECONDS)
    for port in sequence(spec.get("ports")):
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
            if port.get("targetPort") in (None, 0, ""):
                # As upstream: a Service port forwards to the same port number on the pod.
                port["targetPort"] = port.get("port")
    if spec["type"] != "ExternalName":
        spec.setdefault("internalTrafficPolicy", "Cluster")
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")


def _normalise_cluster_ips(spec: dict) -> None:
    """clusterIP and clusterIPs[0] say the same thing; fill whichever is missing."""
    cluster_ip, cluster_ips = spec.get("clusterIP"), spec.get("clusterIPs")
    if cluster_ip and not cluster_ips:
        spec["clusterIPs"] = [cluster_ip]
    elif not cluster_ip and isinstance(cluster_ips, list) and cluster_ips:
        spec["clusterIP"] = cluster_ips[0]


def _default_ip_families(spec: dict) -> None:
    """As upstream's initIPFamilyFields on a single-stack IPv4 cluster."""
    if spec.get("type") == "ExternalName":
        return
    headless_without_selector = spec.get("clusterIP") == CLUSTER_IP_NONE and not spec.get(
        "selector"
    )
    if not spec.get("ipFamilyPolicy"):
        # Upstream's special case: headless and selectorless defaults to dual-stack.
        spec["ipFamilyPolicy"] = "RequireDualStack" if headless_without_selector else "SingleStack"
    if not spec.get("ipFamilies"):
        spec["ipFamilies"] = ["IPv4"]
    dual_stack = spec["ipFamilyPolicy"] != "SingleStack"
    if headless_without_selector and dual_stack and spec["ipFamilies"] == ["IPv4"]:
        spec["ipFamilies"] = ["IPv4", "IPv6"]


def prepare_for_update(service: dict, old: dict) -> None:
    """Keep what the API server allocated when an update leaves it out (upstream's
    patchAllocatedValues), so `kubectl apply` of the original manifest still works."""
    spec, old_spec = mapping(service.get("spec")), mapping(old.get("spec"))
    if not spec or old_spec.get("type") == "ExternalName" or spec.get("type") == "ExternalName":
        return
    for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"):
        if not spec.get(key) and old_spec.get(key):
            spec[key] = old_spec[key]
    old_node_ports = {
        (port.get("port"), port.get("protocol")): port["nodePort"]
        for port in map(mapping, sequence(old_spec.get("ports")))
        if port.get("nodePort")
    }
    if spec.get("type") in ("NodePort", "LoadBalancer"):
        for port in map(mapping, sequence(spec.get("ports"))):
            kept = old_node_ports.get((port.get("port"), port.get("protocol")))
            if kept and not port.get("nodePort"):
                port["nodePort"] = kept


# --- validation ------------------------------------------------------------------


def validate(service: dict, old: dict | None) -> list[FieldError]:
    errors = [] if old is None else validate_immutable_meta(service, old)
    errors += validate_object_meta(service, namespaced=True, name_validator=dns1035_label_errors)
    spec = mapping(service.get("spec"))
    service_type = spec.get("type")
    if service_type not in SERVICE_TYPES:
        errors.append(not_supported("spec.type", service_type, SERVICE_TYPES))
    errors += _validate_ports(spec)
    errors += validate_labels(spec.get("selector"), "spec.selector")
    if spec.get("sessionAffinity") not in SESSION_AFFINITIES:
        errors.append(
            not_supported("spec.sessionAffinity", spec.get("sessionAffinity"), SESSION_AFFINITIES)
        )
    if service_type == "ExternalName":
        errors += _validate_external_name(spec)
    else:
        errors += _validate_cluster_ips(spec)
        errors += _validate_ip_families(spec)
        errors += _validate_traffic_policy(spec, "internalTrafficPolicy")
    if service_type in ("NodePort", "LoadBalancer"):
        errors += _validate_traffic_policy(spec, "externalTrafficPolicy")
    if old is not None:
        errors += _validate_cluster_ips_unchanged(spec, mapping(old.get("spec")))
    return errors


def validate_status(service: dict, old: dict) -> list[FieldError]:
    return validate_immutable_meta(service, old)


def is_headless(spec: dict) -> bool:
    return spec.get("clusterIP") == CLUSTER_IP_NONE


def _validate_ports(spec: dict) -> list[FieldError]:
    ports = sequence(spec.get("ports"))
    if not ports and not is_headless(spec) and spec.get("type") != "ExternalName":
        return [required("spec.ports")]
    errors: list[FieldError] = []
    names: set[str] = set()
    seen: set[tuple] = set()
    node_ports: set[tuple] = set()
    for index, port in enumerate(ports):
        path, port = f"spec.ports[{index}]", mapping(port)
        errors += _validate_port_name(port.get("name"), f"{path}.name", len(ports) > 1, names)
        if not is_integer(port.get("port")) or not 1 <= port["port"] <= 65535:
            errors.append(invalid(f"{path}.port", port.get("port"), PORT_RANGE))
        protocol = port.get("protocol")
        if not protocol:
            errors.append(required(f"{path}.protocol"))
        elif protocol not in PORT_PROTOCOLS:
            errors.append(not_supported(f"{path}.protocol", protocol, PORT_PROTOCOLS))
        errors += validate_port_number_or_name(port.get("targetPort"), f"{path}.targetPort")
        key = (scalar_key(port.get("port")), scalar_key(protocol))
        if key in seen:
            errors.append(duplicate(path, {"port": key[0], "protocol": key[1]}))
        seen.add(key)
        errors += _validate_node_port(spec, port, path, node_ports)
    return errors


def _validate_port_name(
    name: object, field: str, name_required: bool, names: set[str]
) -> list[FieldError]:
    if not name:
        return [required(field)] if name_required else []
    if not isinstance(name, str):
        return [invalid(field, name, "must be a string")]  # ours
    errors = validate_dns1123_label(name, field)
    if name in names:
        errors.append(duplicate(field, name))
    names.add(name)
    return errors


def validate_port_number_or_name(value: object, field: str) -> list[FieldError]:
    """An IntOrString port: 1-65535, or an IANA service name (a container port's name)."""
    if is_integer(value):
        return [] if 1 <= value <= 65535 else [invalid(field, value, PORT_RANGE)]
    if isinstance(value, str) and value:
        return [invalid(field, value, reason) for reason in port_name_errors(value)]
    return [required(field)]


def _validate_node_port(spec: dict, port: dict, path: str, seen: set[tuple]) -> list[FieldError]:
    node_port = port.get("nodePort")
    if not node_port:
        return []
    if spec.get("type") == "ClusterIP":
        return [forbidden(f"{path}.nodePort", NODE_PORT_ON_CLUSTER_IP)]
    if not is_integer(node_port) or not 1 <= node_port <= 65535:
        return [invalid(f"{path}.nodePort", node_port, PORT_RANGE)]
    key = (node_port, scalar_key(port.get("protocol")))
    if key in seen:
        return [duplicate(f"{path}.nodePort", node_port)]
    seen.add(key)
    return []


def _validate_external_name(spec: dict) -> list[FieldError]:
    name = text(spec.get("externalName"))
    if not name:
        return [required("spec.externalName")]
    errors = validate_dns1123_subdomain(name.removesuffix("."), "spec.externalName")
    if spec.get("clusterIP"):
        errors.append(forbidden("spec.clusterIPs", "may not be set for ExternalName services"))
    return errors


def _validate_cluster_ips(spec: dict) -> list[FieldError]:
    """ValidateServiceClusterIPsRelatedFields, for what the user asked for (may be empty)."""
    cluster_ip, cluster_ips = spec.get("clusterIP") or "", sequence(spec.get("clusterIPs"))
    if not cluster_ips:
        return []
    if cluster_ip != cluster_ips[0]:
        return [invalid("spec.clusterIPs", cluster_ips, FIRST_IP_MUST_MATCH)]
    errors = []
    for index, ip in enumerate(cluster_ips):
        field = f"spec.clusterIPs[{index}]"
        if ip == CLUSTER_IP_NONE and index == 0:
            if spec.get("type") in ("NodePort", "LoadBalancer"):
                errors.append(invalid(field, ip, NO_HEADLESS_NODE_PORTS))
            continue
        if not is_ip(ip):
            errors.append(invalid(field, ip, NOT_AN_IP))
    return errors


def _validate_ip_families(spec: dict) -> list[FieldError]:
    errors = []
    policy = spec.get("ipFamilyPolicy")
    if policy is not None and policy not in IP_FAMILY_POLICIES:
        errors.append(not_supported("spec.ipFamilyPolicy", policy, IP_FAMILY_POLICIES))
    headless_without_selector = is_headless(spec) and not spec.get("selector")
    if policy == "RequireDualStack" and not headless_without_selector:
        errors.append(invalid("spec.ipFamilyPolicy", policy, NOT_DUAL_STACK))
    for index, family in enumerate(sequence(spec.get("ipFamilies"))):
        field = f"spec.ipFamilies[{index}]"
        if family not in IP_FAMILIES:
            errors.append(not_supported(field, family, IP_FAMILIES))
        elif family != "IPv4" and not headless_without_selector:
            # Podlab's clusters are single-stack IPv4, as kubeadm's default.
            errors.append(invalid(field, family, "not configured on this cluster"))
    return errors


def _validate_traffic_policy(spec: dict, key: str) -> list[FieldError]:
    value = spec.get(key)
    if value is None or value in TRAFFIC_POLICIES:
        return []
    return [not_supported(f"spec.{key}", value, TRAFFIC_POLICIES)]


def _validate_cluster_ips_unchanged(spec: dict, old_spec: dict) -> list[FieldError]:
    """A cluster IP may not change once set (upstream's validateUpgradeDowngradeClusterIPs),
    unless the Service changes to or from ExternalName."""
    if "ExternalName" in (spec.get("type"), old_spec.get("type")):
        return []
    old_ips, new_ips = sequence(old_spec.get("clusterIPs")), sequence(spec.get("clusterIPs"))
    for index, old_ip in enumerate(old_ips):
        if index < len(new_ips) and new_ips[index] != old_ip:
            return [invalid(f"spec.clusterIPs[{index}]", new_ips, CLUSTER_IP_CHANGED)]
        if index == 0 and not new_ips:
            return [required("spec.clusterIPs[0]", "primary clusterIP can not be unset")]
    return []


def is_ip(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


RESOURCE = ResourceType(
    name="services",
    singular="service",
    kind="Service",
    group="",
    version="v1",
    namespaced=True,
    validate=validate,
    default=default,
    default_decoded=default_decoded,
    validate_status=validate_status,
    prepare_for_update=prepare_for_update,
    store_prefix="services/specs",
    short_names=("svc",),
    categories=("all",),
    subresources=("status",),
)
