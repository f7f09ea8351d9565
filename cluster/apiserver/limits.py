"""The sizes a real cluster refuses, as upstream answers them.

Two limits, as on a real cluster (measured against upstream's sources):
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

from cluster.apiserver.errors import ApiError, too_large

MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024


def request_body_check(size: int) -> None:
    """Raise upstream's 413 for a request body of `size` bytes over the limit."""
    if size > MAX_REQUEST_BODY_BYTES:
        raise too_large(MAX_REQUEST_BODY_BYTES)


def etcd_request_too_large() -> ApiError:
    """etcd's refusal of a value over 1.5 MiB, as kube-apiserver passes it on."""
    return ApiError(500, "", "etcdserver: request is too large")
