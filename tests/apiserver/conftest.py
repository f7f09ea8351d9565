import pytest

from cluster.apiserver import ApiServer


@pytest.fixture
def api(sandbox, alice) -> ApiServer:
    """The API server as Alice, in her own sandbox."""
    return ApiServer.as_user(sandbox, alice)
