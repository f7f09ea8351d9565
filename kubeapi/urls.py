"""A sandbox's Kubernetes API, under /clusters/<sandbox id>/ (sandbox/urls.py)."""

from django.urls import path

from kubeapi import objects, views

urlpatterns = [
    path("version", views.version, name="kubeapi-version"),
    path("api", views.core_discovery, name="kubeapi-core"),
    path("apis", views.group_discovery, name="kubeapi-groups"),
    path("api/<str:version>", views.resource_discovery, name="kubeapi-core-resources"),
    path("apis/<str:group>/<str:version>", views.resource_discovery, name="kubeapi-resources"),
    path("openapi/v3", views.openapi_index, name="kubeapi-openapi"),
    path("openapi/v3/api/<str:version>", views.openapi_document, name="kubeapi-openapi-core"),
    path(
        "openapi/v3/apis/<str:group>/<str:version>",
        views.openapi_document,
        name="kubeapi-openapi-group",
    ),
    path("api/<str:version>/<path:rest>", objects.objects, name="kubeapi-core-objects"),
    path("apis/<str:group>/<str:version>/<path:rest>", objects.objects, name="kubeapi-objects"),
]
