from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from kubeapi import web_views as api_views
from lessons import class_views, editor_views
from lessons import views as lesson_views
from sandbox.views import controls, history, pages, panels, pods, workloads

sandbox_urls = [
    path("", pages.sandbox_detail, name="sandbox-detail"),
    path("reset/", pages.sandbox_reset_view, name="sandbox-reset"),
    path("kubeconfig/", api_views.kubeconfig_download, name="sandbox-kubeconfig"),
    path("kubectl/", api_views.command_box, name="sandbox-command-box"),
    path("delete/", pages.sandbox_delete_view, name="sandbox-delete"),
    path("clock/", controls.clock_state, name="sandbox-clock-state"),
    path("clock/<slug:action>/", controls.clock_control, name="sandbox-clock"),
    path("history/", history.history_page, name="sandbox-history"),
    path("pods/new/", pods.pod_new, name="pod-new"),
    path("manifests/", pods.manifest_create, name="manifest-create"),
    path("pods/<slug:namespace>/<str:name>/", pods.pod_detail, name="pod-detail"),
    path("pods/<slug:namespace>/<str:name>/<slug:action>/", pods.pod_action, name="pod-action"),
    path(
        "workloads/<slug:resource>/<slug:namespace>/<str:name>/",
        workloads.workload_detail,
        name="workload-detail",
    ),
    path(
        "workloads/<slug:resource>/<slug:namespace>/<str:name>/<slug:action>/",
        workloads.workload_action,
        name="workload-action",
    ),
    path("etcd/", panels.etcd_browser, name="etcd-browser"),
    path("nodes/<str:name>/", panels.node_detail, name="node-detail"),
    path("nodes/<str:name>/<slug:action>/", panels.node_action, name="node-action"),
    path("components/scheduler/", panels.scheduler_panel, name="scheduler-panel"),
    path("components/scheduler/<slug:action>/", panels.scheduler_panel, name="scheduler-action"),
    path(
        "components/controller-manager/",
        panels.controller_manager_panel,
        name="controller-manager-panel",
    ),
    path(
        "components/controller-manager/<slug:action>/",
        panels.controller_manager_panel,
        name="controller-manager-action",
    ),
    path("components/<slug:name>/", panels.component_panel, name="component-panel"),
    path("lesson/", lesson_views.lesson_panel, name="lesson-panel"),
    path("lesson/next/", lesson_views.lesson_next, name="lesson-next"),
    path("lesson/answer/", lesson_views.lesson_answer, name="lesson-answer"),
]

urlpatterns = [
    path("", pages.home, name="home"),
    path("sandboxes/new/", pages.sandbox_new, name="sandbox-new"),
    path("sandboxes/<int:sandbox_id>/", include(sandbox_urls)),
    # Each sandbox's Kubernetes API, for kubectl and the Python client (over TLS: README).
    path("clusters/<int:sandbox_id>/", include("kubeapi.urls")),
    path("tokens/", api_views.token_list, name="api-tokens"),
    path("tokens/<int:token_id>/revoke/", api_views.token_revoke, name="api-token-revoke"),
    path("lessons/", lesson_views.lesson_list, name="lesson-list"),
    path("lessons/mine/", editor_views.my_lessons, name="lesson-mine"),
    path("lessons/check/", editor_views.lesson_check, name="lesson-check"),
    path("lessons/mine/<slug:slug>/", editor_views.lesson_edit, name="lesson-edit"),
    path(
        "lessons/mine/<slug:slug>/download/",
        editor_views.lesson_download,
        name="lesson-download",
    ),
    path("lessons/mine/<slug:slug>/try/", editor_views.lesson_try, name="lesson-try"),
    path("join/", class_views.join, name="lesson-join"),
    path("classes/", class_views.class_list, name="class-list"),
    path("classes/new/", class_views.class_new, name="class-new"),
    path("classes/<int:class_id>/", class_views.class_dashboard, name="class-dashboard"),
    path("classes/<int:class_id>/progress/", class_views.class_progress, name="class-progress"),
    path("classes/<int:class_id>/results.csv", class_views.class_results, name="class-results"),
    path("classes/<int:class_id>/<slug:action>/", class_views.class_action, name="class-action"),
    path("lessons/<slug:slug>/start/", lesson_views.lesson_start, name="lesson-start"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # Pages that name no icon (the admin's) get the browser's guess answered.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
]
