"""core/v1 Pod: its registration and what a new pod gains before it is validated.

Validation lives in pod_validation.py. Defaulting follows upstream's
SetDefaults_Pod and friends (pkg/apis/core/v1/defaults.go), the ServiceAccount
and Priority admission plugins, and the pod strategy, which gives every new pod a
fresh status with its QoS class. The DefaultTolerationSeconds admission plugin
runs after them as an admission step of its own, named in the call's trace.
"""

from __future__ import annotations

from decimal import Decimal

from cluster.quantity import InvalidQuantity, parse_quantity
from cluster.resources import pod_validation
from cluster.resources.field_errors import FieldError
from cluster.resources.meta import child_mapping, mapping, sequence
from cluster.resources.types import AdmissionPlugin, ResourceType

NOT_READY_TAINT = "node.kubernetes.io/not-ready"
UNREACHABLE_TAINT = "node.kubernetes.io/unreachable"
DEFAULT_TOLERATION_SECONDS = 300
QOS_COMPUTE_RESOURCES = ("cpu", "memory")
SCHEDULING_GATED_REASON = "SchedulingGated"
SCHEDULING_GATED_MESSAGE = "Scheduling is blocked due to non-empty scheduling gates"


def default(pod: dict) -> None:
    """Fill a new pod's defaults in place. uid, creationTimestamp and names are the
    API server's business, for every resource alike."""
    spec = child_mapping(pod, "spec")
    if spec is not None:
        default_pod_spec(spec)
        _default_admission_fields(spec)
    pod["status"] = {"phase": "Pending", "qosClass": qos_class(pod)}
    _apply_scheduling_gated_condition(pod)


def _apply_scheduling_gated_condition(pod: dict) -> None:
    """A pod created with scheduling gates says why it is not scheduled yet (upstream's
    pod strategy, applySchedulingGatedCondition): the scheduler never tries it."""
    spec = child_mapping(pod, "spec")
    if spec is None or not sequence(spec.get("schedulingGates")):
        return
    created = mapping(pod.get("metadata")).get("creationTimestamp")
    pod["status"]["conditions"] = [
        {
            "type": "PodScheduled",
            "status": "False",
            "lastProbeTime": None,
            "lastTransitionTime": created,
            "reason": SCHEDULING_GATED_REASON,
            "message": SCHEDULING_GATED_MESSAGE,
        }
    ]


def default_decoded(pod: dict) -> None:
    """What upstream defaults on every decode, so an update may leave defaults out."""
    spec = child_mapping(pod, "spec")
    if spec is not None:
        default_pod_spec(spec)


def default_pod_spec(spec: dict) -> None:
    """The spec-level defaults. Updates compare specs after running this on both, as
    upstream compares objects that were defaulted when decoded."""
    default_template_pod_spec(spec)
    # Upstream's SetDefaults_Pod, not SetDefaults_PodSpec: a pod template is left without them.
    _default(spec, "enableServiceLinks", True)
    for container in all_containers(spec):
        resources = child_mapping(container, "resources")
        if resources is not None:
            _default_requests_to_limits(resources)


def default_template_pod_spec(spec: dict) -> None:
    """The defaults every PodSpec gets, a pod template's too (upstream's SetDefaults_PodSpec,
    SetDefaults_Container and SetDefaults_ContainerPort)."""
    _default(spec, "restartPolicy", "Always")
    _default(spec, "dnsPolicy", "ClusterFirst")
    _default(spec, "schedulerName", "default-scheduler")
    _default(spec, "terminationGracePeriodSeconds", 30)
    _default(spec, "securityContext", {})
    for container in all_containers(spec):
        _default_container(container)


def all_containers(spec: dict) -> list[dict]:
    """Init containers and app containers alike, skipping malformed entries."""
    containers = sequence(spec.get("initContainers")) + sequence(spec.get("containers"))
    return [container for container in containers if isinstance(container, dict)]


def image_pull_policy_for(image: object) -> str:
    """Always for an untagged or ":latest" image, so a moving tag is re-pulled."""
    return "Always" if _image_tag(image) == "latest" else "IfNotPresent"


def qos_class(pod: dict) -> str:
    """Guaranteed, Burstable or BestEffort, as upstream's ComputePodQOS decides.

    Only cpu and memory count. Guaranteed needs every container to limit both,
    and the pod's summed requests to equal its summed limits.
    """
    requests: dict[str, Decimal] = {}
    limits: dict[str, Decimal] = {}
    limits_everything = True
    for container in all_containers(mapping(pod.get("spec"))):
        resources = mapping(container.get("resources"))
        _add_positive_quantities(requests, resources.get("requests"))
        limited = _add_positive_quantities(limits, resources.get("limits"))
        if not set(QOS_COMPUTE_RESOURCES) <= limited:
            limits_everything = False
    if not requests and not limits:
        return "BestEffort"
    if limits_everything and requests == limits:
        return "Guaranteed"
    return "Burstable"


def _default(obj: dict, key: str, value: object) -> None:
    # Upstream defaults a field that is absent, null, or an empty string.
    if obj.get(key) is None or obj.get(key) == "":
        obj[key] = value


def _default_container(container: dict) -> None:
    _default(container, "imagePullPolicy", image_pull_policy_for(container.get("image")))
    _default(container, "terminationMessagePath", "/dev/termination-log")
    _default(container, "terminationMessagePolicy", "File")
    child_mapping(container, "resources")  # Go's struct is never nil: `resources: {}`
    for port in sequence(container.get("ports")):
        if isinstance(port, dict):
            _default(port, "protocol", "TCP")


def _default_requests_to_limits(resources: dict) -> None:
    # A container that only sets limits asks for exactly that much.
    limits = resources.get("limits")
    if not isinstance(limits, dict) or not limits:
        return
    requests = child_mapping(resources, "requests")
    if requests is not None:
        for name, quantity in limits.items():
            requests.setdefault(name, quantity)


def _default_admission_fields(spec: dict) -> None:
    # The ServiceAccount admission plugin names the namespace's default account;
    # the deprecated serviceAccount field mirrors serviceAccountName.
    account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    spec["serviceAccountName"] = spec["serviceAccount"] = account
    # The Priority plugin: no PriorityClass in the sandbox, so everyone is equal.
    _default(spec, "priority", 0)
    _default(spec, "preemptionPolicy", "PreemptLowerPriority")


def default_toleration_seconds(pod: dict) -> str:
    """The DefaultTolerationSeconds admission plugin (plugin/pkg/admission/
    defaulttolerationseconds): unless the pod already tolerates them, it tolerates the
    not-ready and unreachable NoExecute taints for 300 s, so that the taint eviction
    controller evicts it 5 minutes after its node fails. Says what it added."""
    spec = child_mapping(pod, "spec")
    if spec is None:
        return "no spec to add tolerations to"
    tolerations = spec.get("tolerations")
    if tolerations is None:
        tolerations = spec["tolerations"] = []
    if not isinstance(tolerations, list):
        return "tolerations left for validation"
    added = []
    for taint_key in (NOT_READY_TAINT, UNREACHABLE_TAINT):
        if not any(_tolerates_no_execute(toleration, taint_key) for toleration in tolerations):
            tolerations.append(
                {
                    "key": taint_key,
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
                }
            )
            added.append(f"{taint_key}:NoExecute")
    if not added:
        return "the pod already tolerates node.kubernetes.io/not-ready and unreachable"
    return f"tolerates {' and '.join(added)} for {DEFAULT_TOLERATION_SECONDS}s"


def _tolerates_no_execute(toleration: object, taint_key: str) -> bool:
    # Upstream's test: an empty key or effect matches any, whatever the operator.
    key, effect = mapping(toleration).get("key"), mapping(toleration).get("effect")
    return key in (None, "", taint_key) and effect in (None, "", "NoExecute")


def _image_tag(image: object) -> str:
    """The tag as upstream's image-name parser reads it: "latest" when there is
    neither a tag nor a digest, "" when only a digest pins the image."""
    if not isinstance(image, str) or not image.strip():
        return ""
    name, digest_separator, _ = image.partition("@")
    last_path_part = name.rsplit("/", 1)[-1]  # "registry:5000/app" has no tag
    _, tag_separator, tag = last_path_part.partition(":")
    if tag_separator:
        return tag
    return "" if digest_separator else "latest"


def _add_positive_quantities(totals: dict[str, Decimal], resource_list: object) -> set[str]:
    """Add a container's cpu and memory to the pod's totals; return which it set above zero."""
    found = set()
    for name, raw in mapping(resource_list).items():
        if name not in QOS_COMPUTE_RESOURCES:
            continue
        try:
            quantity = parse_quantity(raw)
        except InvalidQuantity:
            continue  # validation reports it
        if quantity > 0:
            totals[name] = totals.get(name, Decimal(0)) + quantity
            found.add(name)
    return found


def validate(pod: dict, old: dict | None) -> list[FieldError]:
    return pod_validation.validate_pod(pod, old, spec_defaults=default_pod_spec)


RESOURCE = ResourceType(
    name="pods",
    singular="pod",
    kind="Pod",
    group="",
    version="v1",
    namespaced=True,
    validate=validate,
    default=default,
    default_decoded=default_decoded,
    validate_status=pod_validation.validate_pod_status,
    admission=(AdmissionPlugin("DefaultTolerationSeconds", default_toleration_seconds),),
    short_names=("po",),
    categories=("all",),
    subresources=("binding", "status", "log", "eviction"),
    graceful_delete=True,
)
