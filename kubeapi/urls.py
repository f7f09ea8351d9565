"""A sandbox's Kubernetes API, under /clusters/<sandbox id>/ (sandbox/urls.py)."""

from django.urls import path

from kubeapi import objects, views

urlpatterns = [
    path("version", views.version, name="kubeapi-version"),
    path("api", views.core_discovery, name="kubeapi-core"),
    path("apis", views.group_discovery, name="kubeapi-groups"),
    path("api/<str:version>", views.resource_discovery, name="kubeapi-core-resources"),
    path("apis/<str:group>/<str:version>", views.resource_discovery, name="kubeapi-resources"),
    path("api/<str:version>/<path:rest>", objects.objects, name="kubeapi-core-objects"),
    path("apis/<str:group>/<str:version>/<path:rest>", objects.objects, name="kubeapi-objects"),
]
