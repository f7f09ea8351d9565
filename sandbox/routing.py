from django.urls import path

from sandbox.consumers import SandboxConsumer

websocket_urlpatterns = [
    path("ws/sandboxes/<int:sandbox_id>/", SandboxConsumer.as_asgi()),
]
