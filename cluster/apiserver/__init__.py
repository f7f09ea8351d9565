"""The API server: authentication, authorization, admission, validation, then the store."""

from cluster.apiserver.errors import ApiError
from cluster.apiserver.server import ApiServer, WatchBatch

__all__ = ["ApiError", "ApiServer", "WatchBatch"]
