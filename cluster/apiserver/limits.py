"""What one sandbox may hold, and the sizes a real cluster refuses, as upstream answers.

A quota of objects per sandbox (PODLAB_MAX_OBJECTS_PER_SANDBOX): the store counts its
keys (Events aside: upstream expires them after an hour, and a lost Event never fails
the work it tells of) and refuses a create past the quota; the API server answers as
the ResourceQuota admission plugin does, 403 Forbidden "exceeded quota: ...".

Two sizes, as on a real cluster (checked against upstream's sources):
- kube-apiserver reads at most MaxRequestBodyBytes (3 MiB) of a write's body and
  answers more with 413 RequestEntityTooLarge "Request entity too large: limit is
  3145728" (twice etcd's limit, as a JSON body shrinks when stored as protobuf). That
  is the HTTP layer's check: the views and the kubectl adapter that read bodies call
  request_body_check before they parse.
- etcd refuses a request over --max-request-bytes (1.5 MiB) with "etcdserver: request
  is too large", which kube-apiserver passes on as a 500 without a reason (its
  ErrorToAPIStatus for an error that is no Status; kubernetes/kubernetes#112152 asks
  for better and is still open). The store refuses such a value (ValueTooLarge) and
  the API server answers it so: etcd_request_too_large.
"""

from __future__ import annotations

from django.conf import settings

from cluster.apiserver.errors import ApiError, forbidden, too_large
from cluster.resources import RESOURCES, ResourceType
from cluster.store import QuotaExceeded, Store

MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024
# The quota's name in its refusals, as a ResourceQuota object's name is in upstream's.
OBJECT_QUOTA = "sandbox-objects"


def sandbox_store(sandbox_id: int) -> Store:
    """The sandbox's keyspace, with its quota of objects."""
    return Store(
        sandbox_id,
        max_objects=settings.PODLAB_MAX_OBJECTS_PER_SANDBOX,
        uncounted_prefixes=(RESOURCES["events"].key_prefix,),
    )


def quota_exceeded(rt: ResourceType, name: str, refused: QuotaExceeded) -> ApiError:
    """The ResourceQuota admission plugin's refusal: `pods "web" is forbidden: exceeded
    quota: <quota>, requested: <resource>=1, used: <resource>=N, limited: <resource>=N`."""
    return forbidden(
        rt,
        name,
        f"exceeded quota: {OBJECT_QUOTA}, requested: count/objects=1,"
        f" used: count/objects={refused.used}, limited: count/objects={refused.limit}",
    )


def request_body_check(size: int) -> None:
    """Raise upstream's 413 for a request body of `size` bytes over the limit."""
    if size > MAX_REQUEST_BODY_BYTES:
        raise too_large(MAX_REQUEST_BODY_BYTES)


def etcd_request_too_large() -> ApiError:
    """etcd's refusal of a value over 1.5 MiB, as kube-apiserver passes it on."""
    return ApiError(500, "", "etcdserver: request is too large")
