"""The create-pod form. The API server validates; this form only shapes the manifest."""

from __future__ import annotations

from django import forms

from cluster.components.runtime import CATALOGUE

RESTART_POLICIES = [("Always", "Always"), ("OnFailure", "OnFailure"), ("Never", "Never")]
# What the form creates: a bare pod, or a controller that keeps `replicas` pods running.
WORKLOADS = [
    ("Pod", "nothing: a bare pod"),
    ("Deployment", "a Deployment (it makes a ReplicaSet, which makes the pods)"),
    ("ReplicaSet", "a ReplicaSet (it makes the pods)"),
]
# The API resource each kind is created through.
RESOURCE_OF_KIND = {"Pod": "pods", "Deployment": "deployments", "ReplicaSet": "replicasets"}
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
RESOURCE_FIELDS = {
    ("requests", "cpu"): "cpu_request",
    ("requests", "memory"): "memory_request",
    ("limits", "cpu"): "cpu_limit",
    ("limits", "memory"): "memory_limit",
}


def image_choices() -> list[tuple[str, str]]:
    return [
        (spec.familiar_reference, f"{spec.familiar_reference} — {spec.description}")
        for spec in CATALOGUE
        if not spec.repository.startswith("registry.k8s.io/pause")
    ]


class PodForm(forms.Form):
    name = forms.CharField(max_length=253, initial="web")
    image = forms.CharField(
        max_length=300,
        initial="nginx:1.27.3",
        help_text="An image from the catalogue, or any other name (which fails to pull).",
    )
    workload = forms.ChoiceField(
        choices=WORKLOADS,
        initial="Pod",
        required=False,  # a bare pod, as the form made before it could make controllers
        label="Managed by",
        help_text="A controller replaces its pods when they die or their node fails;"
        " a bare pod is gone for good.",
    )
    replicas = forms.IntegerField(min_value=1, max_value=20, initial=1)
    cpu_request = forms.CharField(
        required=False, label="CPU request", help_text="e.g. 250m, 0.5, 1"
    )
    memory_request = forms.CharField(
        required=False, label="Memory request", help_text="e.g. 128Mi, 1Gi"
    )
    cpu_limit = forms.CharField(required=False, label="CPU limit")
    memory_limit = forms.CharField(required=False, label="Memory limit")
    restart_policy = forms.ChoiceField(choices=RESTART_POLICIES, initial="Always")
    node_selector = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One key=value per line, e.g. kubernetes.io/hostname=node-2",
    )
    tolerations = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line: key=value:Effect or key:Effect (Exists), e.g. "
        "node-role.kubernetes.io/control-plane:NoSchedule",
    )

    # API field paths the server may name, mapped to the form field that made them (a
    # Deployment's or ReplicaSet's pod fields are under spec.template).
    FIELD_PATHS = {
        "spec.replicas": "replicas",
        "metadata.name": "name",
        "spec.containers[0].image": "image",
        "spec.containers[0].resources.requests[cpu]": "cpu_request",
        "spec.containers[0].resources.requests[memory]": "memory_request",
        "spec.containers[0].resources.limits[cpu]": "cpu_limit",
        "spec.containers[0].resources.limits[memory]": "memory_limit",
        "spec.containers[0].resources.requests": "cpu_request",
        "spec.restartPolicy": "restart_policy",
        "spec.nodeSelector": "node_selector",
        "spec.tolerations": "tolerations",
    }

    def clean(self) -> dict:
        data = super().clean()
        data["workload"] = data.get("workload") or "Pod"
        if data["workload"] == "Pod" and (data.get("replicas") or 1) > 1:
            self.add_error(
                "replicas",
                "A bare pod has no replicas: choose a Deployment or a ReplicaSet to keep"
                " several pods running.",
            )
        return data

    def api_field(self, path: str) -> str | None:
        """The form field an API server's field path names, if any."""
        path = path.removeprefix("spec.template.")
        if path.startswith("metadata.labels") or path == "spec.selector":
            return "name"
        return self.FIELD_PATHS.get(path)

    def clean_node_selector(self) -> dict[str, str]:
        selector = {}
        for line in self._lines("node_selector"):
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise forms.ValidationError(f"“{line}” is not key=value")
            selector[key.strip()] = value.strip()
        return selector

    def clean_tolerations(self) -> list[dict]:
        tolerations = []
        for line in self._lines("tolerations"):
            head, sep, effect = line.rpartition(":")
            if not sep or effect not in EFFECTS:
                raise forms.ValidationError(
                    f"“{line}” needs an effect after a colon: {', '.join(EFFECTS)}"
                )
            key, eq, value = head.partition("=")
            toleration = {"key": key.strip(), "effect": effect}
            if eq:
                toleration |= {"operator": "Equal", "value": value.strip()}
            else:
                toleration["operator"] = "Exists"
            tolerations.append(toleration)
        return tolerations

    def _lines(self, field: str) -> list[str]:
        return [line.strip() for line in self.cleaned_data[field].splitlines() if line.strip()]

    @property
    def resource(self) -> str:
        return RESOURCE_OF_KIND[self.cleaned_data["workload"]]

    def manifest(self) -> dict:
        """A Pod, or a Deployment or ReplicaSet of `replicas` such pods, labelled and selected
        by app=<name> as `kubectl create deployment` does."""
        data = self.cleaned_data
        pod = self._pod_manifest()
        if data["workload"] == "Pod":
            return pod
        labels = {"app": data["name"]}
        pod["spec"]["containers"][0]["name"] = container_name(data["image"])
        return {
            "apiVersion": "apps/v1",
            "kind": data["workload"],
            "metadata": {"name": data["name"], "labels": labels},
            "spec": {
                "replicas": data["replicas"],
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": pod["spec"]},
            },
        }

    def _pod_manifest(self) -> dict:
        data = self.cleaned_data
        resources: dict[str, dict[str, str]] = {}
        for (kind, resource), field in RESOURCE_FIELDS.items():
            if value := data[field].strip():
                resources.setdefault(kind, {})[resource] = value
        container = {"name": "app", "image": data["image"].strip(), "resources": resources}
        spec: dict = {"containers": [container], "restartPolicy": data["restart_policy"]}
        if data["node_selector"]:
            spec["nodeSelector"] = data["node_selector"]
        if data["tolerations"]:
            spec["tolerations"] = data["tolerations"]
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": data["name"], "labels": {"run": data["name"]}},
            "spec": spec,
        }

    def add_api_causes(self, status: dict) -> None:
        """Put each of the API server's causes next to the field that caused it."""
        causes = status.get("details", {}).get("causes") or []
        for cause in causes:
            field = self.api_field(cause.get("field", ""))
            message = f"{cause.get('field')}: {cause.get('message')}"
            self.add_error(field if field in self.fields else None, message)
        if not causes:
            self.add_error(None, status.get("message", "The API server refused the pod."))


def container_name(image: str) -> str:
    """The container name `kubectl create deployment` gives an image: its last path
    segment without tag or digest ("registry.k8s.io/pause:3.10" -> "pause")."""
    last = image.strip().rsplit("/", 1)[-1]
    return last.split("@", 1)[0].split(":", 1)[0] or "app"
