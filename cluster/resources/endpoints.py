"""core/v1 Endpoints: the legacy list of a Service's backends (upstream 1.32 still keeps it).

Defaults and validation as upstream's SetDefaults_EndpointPort and ValidateEndpoints:
each subset lists ready addresses, not-ready addresses and ports.
"""

from __future__ import annotations

from cluster.resources.field_errors import FieldError, invalid, not_supported, required
from cluster.resources.meta import (
    dns1123_subdomain_errors,
    is_integer,
    mapping,
    sequence,
    text,
    validate_dns1123_label,
    validate_dns1123_subdomain,
    validate_immutable_meta,
    validate_object_meta,
)
from cluster.resources.pod_validation import PORT_PROTOCOLS, PORT_RANGE
from cluster.resources.services import NOT_AN_IP, is_ip
from cluster.resources.types import ResourceType


def default(endpoints: dict) -> None:
    default_decoded(endpoints)


def default_decoded(endpoints: dict) -> None:
    for subset in sequence(endpoints.get("subsets")):
        for port in sequence(mapping(subset).get("ports")):
            if isinstance(port, dict):
                port.setdefault("protocol", "TCP")


def validate(endpoints: dict, old: dict | None) -> list[FieldError]:
    errors = [] if old is None else validate_immutable_meta(endpoints, old)
    errors += validate_object_meta(
        endpoints, namespaced=True, name_validator=dns1123_subdomain_errors
    )
    for index, subset in enumerate(sequence(endpoints.get("subsets"))):
        path, subset = f"subsets[{index}]", mapping(subset)
        addresses = sequence(subset.get("addresses"))
        not_ready = sequence(subset.get("notReadyAddresses"))
        if not addresses and not not_ready:
            errors.append(required(path, "must specify `addresses` or `notReadyAddresses`"))
        for key, listed in (("addresses", addresses), ("notReadyAddresses", not_ready)):
            for number, address in enumerate(listed):
                errors += _validate_address(mapping(address), f"{path}.{key}[{number}]")
        errors += _validate_ports(sequence(subset.get("ports")), f"{path}.ports")
    return errors


def _validate_address(address: dict, path: str) -> list[FieldError]:
    errors = []
    if not is_ip(address.get("ip")):
        errors.append(invalid(f"{path}.ip", address.get("ip"), NOT_AN_IP))
    if hostname := address.get("hostname"):
        errors += validate_dns1123_label(text(hostname), f"{path}.hostname")
    if node_name := address.get("nodeName"):
        errors += validate_dns1123_subdomain(text(node_name), f"{path}.nodeName")
    return errors


def _validate_ports(ports: list, path: str) -> list[FieldError]:
    errors = []
    for index, port in enumerate(ports):
        field, port = f"{path}[{index}]", mapping(port)
        name = text(port.get("name"))
        if len(ports) > 1 and not name:
            errors.append(required(f"{field}.name"))
        elif name:
            errors += validate_dns1123_label(name, f"{field}.name")
        if not is_integer(port.get("port")) or not 1 <= port["port"] <= 65535:
            errors.append(invalid(f"{field}.port", port.get("port"), PORT_RANGE))
        protocol = port.get("protocol")
        if not protocol:
            errors.append(required(f"{field}.protocol"))
        elif protocol not in PORT_PROTOCOLS:
            errors.append(not_supported(f"{field}.protocol", protocol, PORT_PROTOCOLS))
    return errors


RESOURCE = ResourceType(
    name="endpoints",
    store_prefix="services/endpoints",  # upstream: /registry/services/endpoints/ns/name
    singular="endpoints",
    kind="Endpoints",
    group="",
    version="v1",
    namespaced=True,
    validate=validate,
    default=default,
    default_decoded=default_decoded,
    short_names=("ep",),
    has_status=False,
)
