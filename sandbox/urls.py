from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from sandbox import views

sandbox_urls = [
    path("", views.sandbox_detail, name="sandbox-detail"),
    path("clock/<slug:action>/", views.clock_control, name="sandbox-clock"),
    path("reset/", views.sandbox_reset_view, name="sandbox-reset"),
    path("pods/new/", views.pod_new, name="pod-new"),
    path("manifests/", views.manifest_create, name="manifest-create"),
    path("etcd/", views.etcd_browser, name="etcd-browser"),
    path("pods/<slug:namespace>/<str:name>/", views.pod_detail, name="pod-detail"),
    path("pods/<slug:namespace>/<str:name>/<slug:action>/", views.pod_action, name="pod-action"),
    path("nodes/<str:name>/", views.node_detail, name="node-detail"),
    path("nodes/<str:name>/<slug:action>/", views.node_action, name="node-action"),
    path("components/scheduler/", views.scheduler_panel, name="scheduler-panel"),
    path("components/scheduler/<slug:action>/", views.scheduler_panel, name="scheduler-action"),
    path("components/<slug:name>/", views.component_panel, name="component-panel"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("sandboxes/new/", views.sandbox_new, name="sandbox-new"),
    path("sandboxes/<int:sandbox_id>/", include(sandbox_urls)),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]
