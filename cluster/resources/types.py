from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cluster.resources.field_errors import FieldError
from cluster.resources.keys import REGISTRY_ROOT

# default(obj): fill defaults in place on create (obj is the whole object, metadata included).
# default_decoded(obj): the defaults upstream applies to every decoded object, updates too.
Defaulter = Callable[[dict], None]
# validate(obj, old): errors for a create (old is None) or an update of the main resource.
Validator = Callable[[dict, "dict | None"], list[FieldError]]
# prepare_for_update(new, old): carry what the server set (a Service's cluster IP) into an
# update that left it out, before validation (upstream's PrepareForUpdate).
UpdatePreparer = Callable[[dict, dict], None]
# validate_status(obj, old): errors for an update through the status subresource.
StatusValidator = Callable[[dict, dict], list[FieldError]]
# generation_changed(new, old): whether an update of the main resource is a new
# metadata.generation (each upstream strategy's PrepareForUpdate decides). A kind without
# one keeps no generation: in 1.32 only the workloads do (pods got theirs in 1.33).
GenerationRule = Callable[[dict, dict], bool]


@dataclass(frozen=True)
class AdmissionPlugin:
    """A mutating admission plugin run on create, after defaulting (kube-apiserver's
    --enable-admission-plugins). admit(obj) changes obj in place and says what it did, in
    plain words, for the admission stage of the call's trace."""

    name: str  # upstream's plugin name: "DefaultTolerationSeconds"
    admit: Callable[[dict], str]


def no_defaults(obj: dict) -> None:
    return None


def no_preparation(obj: dict, old: dict) -> None:
    return None


def no_status_errors(obj: dict, old: dict) -> list[FieldError]:
    return []


@dataclass(frozen=True)
class ResourceType:
    name: str  # plural, as in URLs and store keys: "pods"
    singular: str
    kind: str
    group: str  # "" for the core group
    version: str
    namespaced: bool
    validate: Validator
    default: Defaulter = no_defaults
    default_decoded: Defaulter = no_defaults
    validate_status: StatusValidator = no_status_errors
    prepare_for_update: UpdatePreparer = no_preparation
    admission: tuple[AdmissionPlugin, ...] = ()  # mutating plugins for a create, in order
    generation_changed: GenerationRule | None = None  # None: no metadata.generation
    # Metadata a status update may change too (its status strategy keeps only the rest):
    # ("annotations",) for a Deployment, whose controller writes its revision so.
    status_metadata: tuple[str, ...] = ()
    # The store key's prefix when upstream's differs from the plural:
    # "controllers" for replicationcontrollers, "services/specs" for services.
    store_prefix: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()
    has_status: bool = True  # False: no status stanza (events, leases, namespaces keep theirs)
    graceful_delete: bool = False  # pods: delete sets deletionTimestamp first
    verbs: tuple[str, ...] = field(
        default=("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
    )

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def key_prefix(self) -> str:
        """'/registry/pods/', '/registry/services/specs/': where its objects are kept."""
        return f"{REGISTRY_ROOT}{self.store_prefix or self.name}/"

    @property
    def group_resource(self) -> str:
        """'pods' or 'leases.coordination.k8s.io', as upstream messages name it."""
        return f"{self.name}.{self.group}" if self.group else self.name
