"""Decode the protobuf bodies kubectl sends, into the JSON object it would have sent.

kubectl 1.32 POSTs `create deployment|namespace|service|configmap|secret|job|cronjob` as
`application/vnd.kubernetes.protobuf`, with no JSON fallback. The body is the magic `k8s\\0`,
then a runtime.Unknown {1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding,
4 contentType} whose `raw` is the object in the field numbers of upstream's generated.proto.
No package on PyPI knows those messages, so this module carries a small wire-format reader and
a table of the messages these commands (and `create job --from=cronjob/...`) send.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, NamedTuple

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"


class ProtobufError(ValueError):
    """A body this module cannot decode: the caller answers 400 BadRequest (or 415)."""


# The messages, as upstream's generated.proto numbers them (Kubernetes 1.32), each field written
# "number jsonName goType", or "number GoType" for a struct embedded in its parent's JSON (as Go's
# `json:",inline"`). The Go type of the field in types.go matters: upstream writes every
# non-pointer field, even empty ("", 0, an empty message), so such a zero means unset and is
# dropped; a pointer (`*T`) is written only when set, so its zero is kept (`replicas: 0`). `[]T`
# is a repeated field, `map[string]T` a map; "int" stands for int32 and int64 alike. Fields left
# out (the simulation has no use for them) and newer ones are skipped, as Go skips unknown ones.
_SCHEMA_TEXT = """
# k8s.io/apimachinery: runtime, meta/v1, api/resource, util/intstr
TypeMeta: 1 apiVersion string, 2 kind string
Time: 1 seconds int, 2 nanos int
Quantity: 1 string string
IntOrString: 1 type int, 2 intVal int, 3 strVal string
ObjectMeta: 1 name string, 2 generateName string, 3 namespace string, 5 uid string,
   6 resourceVersion string, 7 generation int, 8 creationTimestamp Time, 9 deletionTimestamp *Time,
   10 deletionGracePeriodSeconds *int, 11 labels map[string]string,
   12 annotations map[string]string, 13 ownerReferences []OwnerReference, 14 finalizers []string
OwnerReference: 1 kind string, 3 name string, 4 uid string, 5 apiVersion string,
   6 controller *bool, 7 blockOwnerDeletion *bool
LabelSelector: 1 matchLabels map[string]string, 2 matchExpressions []LabelSelectorRequirement
LabelSelectorRequirement: 1 key string, 2 operator string, 3 values []string
# k8s.io/api/core/v1: pods, and the pod template of deployments, jobs and cron jobs
Pod: 1 metadata ObjectMeta, 2 spec PodSpec
PodTemplateSpec: 1 metadata ObjectMeta, 2 spec PodSpec
PodSpec: 1 volumes []Volume, 2 containers []Container, 3 restartPolicy string,
   4 terminationGracePeriodSeconds *int, 5 activeDeadlineSeconds *int, 6 dnsPolicy string,
   7 nodeSelector map[string]string, 8 serviceAccountName string, 10 nodeName string,
   11 hostNetwork bool, 12 hostPID bool, 13 hostIPC bool, 14 securityContext *PodSecurityContext,
   15 imagePullSecrets []LocalObjectReference, 16 hostname string, 17 subdomain string,
   18 affinity *Affinity, 19 schedulerName string, 20 initContainers []Container,
   21 automountServiceAccountToken *bool, 22 tolerations []Toleration, 24 priorityClassName string,
   25 priority *int, 27 shareProcessNamespace *bool, 28 readinessGates []PodReadinessGate,
   29 runtimeClassName *string, 30 enableServiceLinks *bool, 31 preemptionPolicy *string,
   33 topologySpreadConstraints []TopologySpreadConstraint, 35 setHostnameAsFQDN *bool,
   37 hostUsers *bool, 38 schedulingGates []PodSchedulingGate
Container: 1 name string, 2 image string, 3 command []string, 4 args []string, 5 workingDir string,
   6 ports []ContainerPort, 7 env []EnvVar, 8 resources ResourceRequirements,
   9 volumeMounts []VolumeMount, 10 livenessProbe *Probe, 11 readinessProbe *Probe,
   12 lifecycle *Lifecycle, 13 terminationMessagePath string, 14 imagePullPolicy string,
   15 securityContext *SecurityContext, 16 stdin bool, 17 stdinOnce bool, 18 tty bool,
   19 envFrom []EnvFromSource, 20 terminationMessagePolicy string, 22 startupProbe *Probe,
   24 restartPolicy *string
ContainerPort: 1 name string, 2 hostPort int, 3 containerPort int, 4 protocol string,
   5 hostIP string
EnvVar: 1 name string, 2 value string, 3 valueFrom *EnvVarSource
EnvVarSource: 1 fieldRef *ObjectFieldSelector, 2 resourceFieldRef *ResourceFieldSelector,
   3 configMapKeyRef *ConfigMapKeySelector, 4 secretKeyRef *SecretKeySelector
ObjectFieldSelector: 1 apiVersion string, 2 fieldPath string
ResourceFieldSelector: 1 containerName string, 2 resource string, 3 divisor Quantity
ConfigMapKeySelector: 1 LocalObjectReference, 2 key string, 3 optional *bool
SecretKeySelector: 1 LocalObjectReference, 2 key string, 3 optional *bool
EnvFromSource: 1 prefix string, 2 configMapRef *ConfigMapEnvSource, 3 secretRef *SecretEnvSource
ConfigMapEnvSource: 1 LocalObjectReference, 2 optional *bool
SecretEnvSource: 1 LocalObjectReference, 2 optional *bool
LocalObjectReference: 1 name string
ResourceRequirements: 1 limits map[string]Quantity, 2 requests map[string]Quantity
VolumeMount: 1 name string, 2 readOnly bool, 3 mountPath string, 4 subPath string,
   5 mountPropagation *string, 6 subPathExpr string, 7 recursiveReadOnly *string
Probe: 1 ProbeHandler, 2 initialDelaySeconds int, 3 timeoutSeconds int, 4 periodSeconds int,
   5 successThreshold int, 6 failureThreshold int, 7 terminationGracePeriodSeconds *int
ProbeHandler: 1 exec *ExecAction, 2 httpGet *HTTPGetAction, 3 tcpSocket *TCPSocketAction,
   4 grpc *GRPCAction
Lifecycle: 1 postStart *LifecycleHandler, 2 preStop *LifecycleHandler
LifecycleHandler: 1 exec *ExecAction, 2 httpGet *HTTPGetAction, 3 tcpSocket *TCPSocketAction,
   4 sleep *SleepAction
ExecAction: 1 command []string
HTTPGetAction: 1 path string, 2 port IntOrString, 3 host string, 4 scheme string,
   5 httpHeaders []HTTPHeader
HTTPHeader: 1 name string, 2 value string
TCPSocketAction: 1 port IntOrString, 2 host string
GRPCAction: 1 port int, 2 service *string
SleepAction: 1 seconds int
SecurityContext: 1 capabilities *Capabilities, 2 privileged *bool, 4 runAsUser *int,
   5 runAsNonRoot *bool, 6 readOnlyRootFilesystem *bool, 7 allowPrivilegeEscalation *bool,
   8 runAsGroup *int, 9 procMount *string, 11 seccompProfile *SeccompProfile
Capabilities: 1 add []string, 2 drop []string
SeccompProfile: 1 type string, 2 localhostProfile *string
Sysctl: 1 name string, 2 value string
PodSecurityContext: 2 runAsUser *int, 3 runAsNonRoot *bool, 4 supplementalGroups []int,
   5 fsGroup *int, 6 runAsGroup *int, 7 sysctls []Sysctl, 9 fsGroupChangePolicy *string,
   10 seccompProfile *SeccompProfile, 12 supplementalGroupsPolicy *string
Volume: 1 name string, 2 VolumeSource
VolumeSource: 1 hostPath *HostPathVolumeSource, 2 emptyDir *EmptyDirVolumeSource,
   6 secret *SecretVolumeSource, 10 persistentVolumeClaim *PersistentVolumeClaimVolumeSource,
   19 configMap *ConfigMapVolumeSource
HostPathVolumeSource: 1 path string, 2 type *string
EmptyDirVolumeSource: 1 medium string, 2 sizeLimit *Quantity
SecretVolumeSource: 1 secretName string, 2 items []KeyToPath, 3 defaultMode *int, 4 optional *bool
ConfigMapVolumeSource: 1 LocalObjectReference, 2 items []KeyToPath, 3 defaultMode *int,
   4 optional *bool
KeyToPath: 1 key string, 2 path string, 3 mode *int
PersistentVolumeClaimVolumeSource: 1 claimName string, 2 readOnly bool
Toleration: 1 key string, 2 operator string, 3 value string, 4 effect string,
   5 tolerationSeconds *int
PodSchedulingGate: 1 name string
PodReadinessGate: 1 conditionType string
TopologySpreadConstraint: 1 maxSkew int, 2 topologyKey string, 3 whenUnsatisfiable string,
   4 labelSelector *LabelSelector, 5 minDomains *int, 6 nodeAffinityPolicy *string,
   7 nodeTaintsPolicy *string, 8 matchLabelKeys []string
Affinity: 1 nodeAffinity *NodeAffinity, 2 podAffinity *PodAffinity,
   3 podAntiAffinity *PodAntiAffinity
NodeAffinity: 1 requiredDuringSchedulingIgnoredDuringExecution *NodeSelector,
   2 preferredDuringSchedulingIgnoredDuringExecution []PreferredSchedulingTerm
NodeSelector: 1 nodeSelectorTerms []NodeSelectorTerm
NodeSelectorTerm: 1 matchExpressions []NodeSelectorRequirement,
   2 matchFields []NodeSelectorRequirement
NodeSelectorRequirement: 1 key string, 2 operator string, 3 values []string
PreferredSchedulingTerm: 1 weight int, 2 preference NodeSelectorTerm
PodAffinity: 1 requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm,
   2 preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm
PodAntiAffinity: 1 requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm,
   2 preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm
PodAffinityTerm: 1 labelSelector *LabelSelector, 2 namespaces []string, 3 topologyKey string,
   4 namespaceSelector *LabelSelector, 5 matchLabelKeys []string, 6 mismatchLabelKeys []string
WeightedPodAffinityTerm: 1 weight int, 2 podAffinityTerm PodAffinityTerm
# k8s.io/api/core/v1: the other objects `kubectl create` makes
Namespace: 1 metadata ObjectMeta, 2 spec NamespaceSpec, 3 status NamespaceStatus
NamespaceSpec: 1 finalizers []string
NamespaceStatus: 1 phase string
Service: 1 metadata ObjectMeta, 2 spec ServiceSpec
ServiceSpec: 1 ports []ServicePort, 2 selector map[string]string, 3 clusterIP string,
   4 type string, 5 externalIPs []string, 7 sessionAffinity string, 8 loadBalancerIP string,
   9 loadBalancerSourceRanges []string, 10 externalName string, 11 externalTrafficPolicy string,
   12 healthCheckNodePort int, 13 publishNotReadyAddresses bool,
   14 sessionAffinityConfig *SessionAffinityConfig, 17 ipFamilyPolicy *string,
   18 clusterIPs []string, 19 ipFamilies []string, 20 allocateLoadBalancerNodePorts *bool,
   21 loadBalancerClass *string, 22 internalTrafficPolicy *string, 23 trafficDistribution *string
SessionAffinityConfig: 1 clientIP *ClientIPConfig
ClientIPConfig: 1 timeoutSeconds *int
ServicePort: 1 name string, 2 protocol string, 3 port int, 4 targetPort IntOrString,
   5 nodePort int, 6 appProtocol *string
ConfigMap: 1 metadata ObjectMeta, 2 data map[string]string, 3 binaryData map[string]bytes,
   4 immutable *bool
Secret: 1 metadata ObjectMeta, 2 data map[string]bytes, 3 type string,
   4 stringData map[string]string, 5 immutable *bool
# k8s.io/api/apps/v1
Deployment: 1 metadata ObjectMeta, 2 spec DeploymentSpec, 3 status DeploymentStatus
DeploymentSpec: 1 replicas *int, 2 selector *LabelSelector, 3 template PodTemplateSpec,
   4 strategy DeploymentStrategy, 5 minReadySeconds int, 6 revisionHistoryLimit *int,
   7 paused bool, 9 progressDeadlineSeconds *int
DeploymentStrategy: 1 type string, 2 rollingUpdate *RollingUpdateDeployment
RollingUpdateDeployment: 1 maxUnavailable *IntOrString, 2 maxSurge *IntOrString
DeploymentStatus: 1 observedGeneration int, 2 replicas int, 3 updatedReplicas int,
   4 availableReplicas int, 5 unavailableReplicas int, 7 readyReplicas int, 8 collisionCount *int
# k8s.io/api/batch/v1
Job: 1 metadata ObjectMeta, 2 spec JobSpec
JobTemplateSpec: 1 metadata ObjectMeta, 2 spec JobSpec
JobSpec: 1 parallelism *int, 2 completions *int, 3 activeDeadlineSeconds *int,
   4 selector *LabelSelector, 5 manualSelector *bool, 6 template PodTemplateSpec,
   7 backoffLimit *int, 8 ttlSecondsAfterFinished *int, 9 completionMode *string, 10 suspend *bool,
   12 backoffLimitPerIndex *int, 13 maxFailedIndexes *int, 14 podReplacementPolicy *string,
   15 managedBy *string
CronJob: 1 metadata ObjectMeta, 2 spec CronJobSpec
CronJobSpec: 1 schedule string, 2 startingDeadlineSeconds *int, 3 concurrencyPolicy string,
   4 suspend *bool, 5 jobTemplate JobTemplateSpec, 6 successfulJobsHistoryLimit *int,
   7 failedJobsHistoryLimit *int, 8 timeZone *string
"""

_SCALARS = {"string", "int", "bool", "bytes"}


class _Field(NamedTuple):
    json_name: str  # empty for an embedded struct, whose fields join its parent's
    shape: str  # from the Go type: "value", "pointer", "list" or "map"
    element: str  # one of _SCALARS or a message of _SCHEMA


def _parse_schema(text: str) -> dict[str, dict[int, _Field]]:
    """Read _SCHEMA_TEXT: "Message: field, field," with indented lines continuing a message."""
    schema: dict[str, dict[int, _Field]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line[0].isspace():
            message, _, line = line.partition(":")
            schema[message] = {}
        for field in filter(str.strip, line.split(",")):
            number, *json_name, go_type = field.split()
            if len(json_name) > 1:  # a comma forgotten between two fields
                raise ValueError(f"{message}: cannot read {field!r}")
            schema[message][int(number)] = _parse_field("".join(json_name), go_type)
    named = {field.element for fields in schema.values() for field in fields.values()}
    if missing := named - _SCALARS - set(schema):
        raise ValueError(f"messages missing from the protobuf schema: {sorted(missing)}")
    return schema


def _parse_field(json_name: str, go_type: str) -> _Field:
    for prefix, shape in (("[]", "list"), ("map[string]", "map"), ("*", "pointer")):
        if go_type.startswith(prefix):
            return _Field(json_name, shape, go_type.removeprefix(prefix))
    return _Field(json_name, "value", go_type)


_SCHEMA = _parse_schema(_SCHEMA_TEXT)

# The objects decode() accepts, by (apiVersion, kind). Status is left out of the table but for
# namespaces and deployments: the API server ignores it on create.
_MESSAGE_OF_KIND = {
    ("v1", "Namespace"): "Namespace",
    ("v1", "Pod"): "Pod",
    ("v1", "Service"): "Service",
    ("v1", "ConfigMap"): "ConfigMap",
    ("v1", "Secret"): "Secret",
    ("apps/v1", "Deployment"): "Deployment",
    ("batch/v1", "Job"): "Job",
    ("batch/v1", "CronJob"): "CronJob",
}


def decode(body: bytes) -> dict[str, Any]:
    """Return the object in `body` as the JSON kubectl would have sent, unset fields omitted."""
    api_version, kind, raw = _unwrap(body)
    message = _MESSAGE_OF_KIND.get((api_version, kind))
    if message is None:
        raise ProtobufError(f"cannot decode {kind!r} of {api_version!r} from protobuf")
    return {"apiVersion": api_version, "kind": kind, **_decode_message(message, raw)}


def _unwrap(body: bytes) -> tuple[str, str, bytes]:
    """Return the apiVersion, kind and raw object of the runtime.Unknown envelope."""
    if not body.startswith(MAGIC):
        raise ProtobufError("not a Kubernetes protobuf body: the k8s\\0 prefix is missing")
    parts: dict[int, bytes] = {}
    for number, wire_type, value in _fields(body[len(MAGIC) :]):
        if number in (1, 2, 3):  # typeMeta, raw, contentEncoding; contentType says nothing more
            parts[number] = _expect(_LENGTH_DELIMITED, wire_type, value, "runtime.Unknown")
    if parts.get(3):  # upstream never compresses raw; better a clear error than garbage
        raise ProtobufError(f"content encoding {parts[3]!r} is not supported")
    if 2 not in parts:
        raise ProtobufError("the body holds no object (runtime.Unknown.raw is missing)")
    type_meta = _decode_message("TypeMeta", parts.get(1, b""))
    return type_meta.get("apiVersion", ""), type_meta.get("kind", ""), parts[2]


def _decode_message(message: str, payload: bytes) -> dict[str, Any]:
    fields = _SCHEMA[message]
    decoded: dict[str, Any] = {}
    for number, wire_type, value in _fields(payload):
        field = fields.get(number)
        if field is None:
            continue
        where = f"{message}.{field.json_name or field.element}"
        if field.shape == "list":
            items = _decode_list(field.element, wire_type, value, where)
            decoded.setdefault(field.json_name, []).extend(items)
        elif field.shape == "map":
            entry = _expect(_LENGTH_DELIMITED, wire_type, value, where)
            key, item = _decode_map_entry(field.element, entry, where)
            decoded.setdefault(field.json_name, {})[key] = item
        else:
            item = _decode_one(field.element, wire_type, value, where)
            if not field.json_name:
                decoded.update(item)
            elif _is_set(field, item):
                decoded[field.json_name] = item
    return decoded


def _is_set(field: _Field, item: Any) -> bool:
    # A pointer is on the wire only when set; a value field always is, its zero meaning unset.
    return item is not None if field.shape == "pointer" else bool(item)


def _decode_one(element: str, wire_type: int, value: int | bytes, where: str) -> Any:
    if element == "int":
        number = _expect(_VARINT, wire_type, value, where)
        return number - (1 << 64) if number >> 63 else number  # two's complement, int32 too
    if element == "bool":
        return _expect(_VARINT, wire_type, value, where) != 0
    payload = _expect(_LENGTH_DELIMITED, wire_type, value, where)
    if element == "string":
        try:
            return payload.decode()
        except UnicodeDecodeError as error:
            raise ProtobufError(f"{where}: not UTF-8") from error
    if element == "bytes":
        return base64.b64encode(payload).decode("ascii")  # as Go's JSON writes []byte
    message = _decode_message(element, payload)
    json_form = _JSON_FORMS.get(element)
    return json_form(message) if json_form else message


def _decode_list(element: str, wire_type: int, value: int | bytes, where: str) -> list[Any]:
    if element in ("int", "bool") and wire_type == _LENGTH_DELIMITED:  # packed numbers
        payload = _expect(_LENGTH_DELIMITED, wire_type, value, where)
        numbers, position = [], 0
        while position < len(payload):
            number, position = _read_varint(payload, position)
            numbers.append(_decode_one(element, _VARINT, number, where))
        return numbers
    return [_decode_one(element, wire_type, value, where)]


def _decode_map_entry(element: str, entry: bytes, where: str) -> tuple[str, Any]:
    """A map is a repeated {1 key, 2 value} message; a missing part is the zero value."""
    key, item = "", _decode_one(element, _LENGTH_DELIMITED, b"", where)
    for number, wire_type, value in _fields(entry):
        if number == 1:
            key = _decode_one("string", wire_type, value, where)
        elif number == 2:
            item = _decode_one(element, wire_type, value, where)
    return key, item


def _time_json(time: dict[str, int]) -> str | None:
    # kubectl sends the unset creationTimestamp as an empty Time, which JSON writes as null.
    if not time:
        return None
    try:
        moment = datetime(1970, 1, 1) + timedelta(seconds=time.get("seconds", 0))
    except OverflowError as error:
        raise ProtobufError(f"time out of range: {time}") from error
    return moment.isoformat(timespec="seconds") + "Z"  # metav1.Time: RFC 3339, whole seconds


def _int_or_string_json(int_or_string: dict[str, Any]) -> int | str:
    if int_or_string.get("type") == 1:  # intstr.String; 0 (intstr.Int) is the default
        return int_or_string.get("strVal", "")
    return int_or_string.get("intVal", 0)


_JSON_FORMS: dict[str, Callable[[Any], Any]] = {
    "Time": _time_json,
    "Quantity": lambda quantity: quantity.get("string", ""),
    "IntOrString": _int_or_string_json,
}


# The protobuf wire format: https://protobuf.dev/programming-guides/encoding/
_VARINT, _FIXED64, _LENGTH_DELIMITED, _FIXED32 = 0, 1, 2, 5
_FIXED_SIZES = {_FIXED64: 8, _FIXED32: 4}


def _fields(message: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Yield (field number, wire type, value) for each field of one message, in wire order."""
    position = 0
    while position < len(message):
        key, position = _read_varint(message, position)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("field number 0 is not valid")
        if wire_type == _VARINT:
            value, position = _read_varint(message, position)
            yield number, wire_type, value
            continue
        if wire_type == _LENGTH_DELIMITED:
            size, position = _read_varint(message, position)
        elif wire_type in _FIXED_SIZES:
            size = _FIXED_SIZES[wire_type]
        else:
            raise ProtobufError(f"field {number}: wire type {wire_type} is not supported")
        if position + size > len(message):
            raise ProtobufError(f"field {number}: truncated, {size} bytes announced")
        yield number, wire_type, message[position : position + size]
        position += size


def _read_varint(data: bytes, position: int) -> tuple[int, int]:
    """Return the varint at `position` and the position after it."""
    value = 0
    for shift in range(0, 70, 7):
        if position >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value & 0xFFFF_FFFF_FFFF_FFFF, position
    raise ProtobufError("varint longer than 10 bytes")


def _expect(expected: int, wire_type: int, value: Any, where: str) -> Any:
    if wire_type != expected:
        raise ProtobufError(f"{where}: wire type {wire_type} where {expected} was expected")
    return value
