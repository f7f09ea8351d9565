"""discovery.k8s.io/v1 EndpointSlice: a slice of a Service's backends, kept by its controller.

Defaults and validation as upstream's pkg/apis/discovery (SetDefaults_EndpointPort,
ValidateEndpointSlice): an address type, at most 1000 endpoints of one to 100
addresses each, and named ports.
"""

from __future__ import annotations

import ipaddress

from cluster.resources.field_errors import (
    ErrorType,
    FieldError,
    duplicate,
    invalid,
    not_supported,
    required,
)
from cluster.resources.meta import (
    FIELD_IMMUTABLE,
    child_mapping,
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
from cluster.resources.pod_validation import PORT_PROTOCOLS
from cluster.resources.types import ResourceType

ADDRESS_TYPES = ["FQDN", "IPv4", "IPv6"]
MAX_ENDPOINTS = 1000
MAX_ADDRESSES = 100
MAX_PORTS = 20000
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY_CONTROLLER = "endpointslice-controller.k8s.io"
PORT_NUMBER_RANGE = "must be between 0 and 65535, inclusive"


def default(slice_: dict) -> None:
    default_decoded(slice_)


def default_decoded(slice_: dict) -> None:
    for port in sequence(slice_.get("ports")):
        if isinstance(port, dict):
            port.setdefault("name", "")
            port.setdefault("protocol", "TCP")
    for endpoint in sequence(slice_.get("endpoints")):
        if isinstance(endpoint, dict):
            child_mapping(endpoint, "conditions")


def validate(slice_: dict, old: dict | None) -> list[FieldError]:
    errors = [] if old is None else validate_immutable_meta(slice_, old)
    errors += validate_object_meta(slice_, namespaced=True, name_validator=dns1123_subdomain_errors)
    address_type = slice_.get("addressType")
    if not address_type:
        errors.append(required("addressType"))
    elif address_type not in ADDRESS_TYPES:
        errors.append(not_supported("addressType", address_type, ADDRESS_TYPES))
    elif old is not None and address_type != old.get("addressType"):
        errors.append(invalid("addressType", address_type, FIELD_IMMUTABLE))
    errors += _validate_endpoints(slice_.get("endpoints"), text(address_type))
    errors += _validate_ports(slice_.get("ports"))
    return errors


def too_many(field: str, count: int, limit: int) -> FieldError:
    return FieldError(ErrorType.TOO_MANY, field, count, f"must have at most {limit} items")


def _validate_endpoints(endpoints: object, address_type: str) -> list[FieldError]:
    endpoints = sequence(endpoints)
    if len(endpoints) > MAX_ENDPOINTS:
        return [too_many("endpoints", len(endpoints), MAX_ENDPOINTS)]
    errors: list[FieldError] = []
    for index, endpoint in enumerate(endpoints):
        path, endpoint = f"endpoints[{index}]", mapping(endpoint)
        addresses = sequence(endpoint.get("addresses"))
        if not addresses:
            errors.append(required(f"{path}.addresses", "must contain at least 1 address"))
        elif len(addresses) > MAX_ADDRESSES:
            errors.append(too_many(f"{path}.addresses", len(addresses), MAX_ADDRESSES))
        for number, address in enumerate(addresses):
            errors += _validate_address(address, address_type, f"{path}.addresses[{number}]")
        if node_name := endpoint.get("nodeName"):
            errors += validate_dns1123_subdomain(text(node_name), f"{path}.nodeName")
        if hostname := endpoint.get("hostname"):
            errors += validate_dns1123_label(text(hostname), f"{path}.hostname")
        for key, value in mapping(endpoint.get("conditions")).items():
            if value is not None and not isinstance(value, bool):
                errors.append(invalid(f"{path}.conditions.{key}", value, "must be a boolean"))
    return errors


def _validate_address(address: object, address_type: str, field: str) -> list[FieldError]:
    if address_type not in ("IPv4", "IPv6"):
        return validate_dns1123_subdomain(text(address), field) if address_type else []
    try:
        parsed = ipaddress.ip_address(address) if isinstance(address, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.version != int(address_type[-1]):
        return [invalid(field, address, f"must be a valid {address_type} address")]
    return []


def _validate_ports(ports: object) -> list[FieldError]:
    ports = sequence(ports)
    if len(ports) > MAX_PORTS:
        return [too_many("ports", len(ports), MAX_PORTS)]
    errors: list[FieldError] = []
    names: set[str] = set()
    for index, port in enumerate(ports):
        path, port = f"ports[{index}]", mapping(port)
        name = text(port.get("name"))
        if name:
            errors += validate_dns1123_label(name, f"{path}.name")
        if name in names:
            errors.append(duplicate(f"{path}.name", name))
        names.add(name)
        protocol = port.get("protocol")
        if not protocol:
            errors.append(required(f"{path}.protocol"))
        elif protocol not in PORT_PROTOCOLS:
            errors.append(not_supported(f"{path}.protocol", protocol, PORT_PROTOCOLS))
        number = port.get("port")
        if number is not None and (not is_integer(number) or not 0 <= number <= 65535):
            errors.append(invalid(f"{path}.port", number, PORT_NUMBER_RANGE))
    return errors


RESOURCE = ResourceType(
    name="endpointslices",
    singular="endpointslice",
    kind="EndpointSlice",
    group="discovery.k8s.io",
    version="v1",
    namespaced=True,
    validate=validate,
    default=default,
    default_decoded=default_decoded,
    has_status=False,
)
