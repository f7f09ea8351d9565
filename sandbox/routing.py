from django.urls import path

from lessons.consumers import ClassConsumer
from sandbox.consumers import SandboxConsumer

websocket_urlpatterns = [
    path("ws/sandboxes/<int:sandbox_id>/", SandboxConsumer.as_asgi()),
    path("ws/classes/<int:class_id>/", ClassConsumer.as_asgi()),
]
