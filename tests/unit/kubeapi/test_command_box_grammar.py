# ruff: noqa: E501  (tables of cases, one a line)
"""The command box's reading of a kubectl command line: pflag's rules, kubectl's words."""

from __future__ import annotations

import pytest

from kubeapi.command_box.commands import Context, execute
from kubeapi.command_box.describe import tabwrite
from kubeapi.command_box.grammar import NotInTheBox, UsageError, parse
from kubeapi.command_box.targets import object_name, resource_type, targets
from kubeapi.command_box.writes import container_name


@pytest.mark.parametrize(
    ("line", "path", "args", "flags"),
    [
        ("kubectl get pods", ("get",), ["pods"], {}),
        ("get po web -nteam", ("get",), ["po", "web"], {"namespace": "team"}),
        ("kubectl get pods -n=team -o wide", ("get",), ["pods"], {"namespace": "team", "output": "wide"}),
        ("kubectl get pods -Ao wide", ("get",), ["pods"], {"all-namespaces": True, "output": "wide"}),
        ("kubectl get pods --show-labels=false", ("get",), ["pods"], {"show-labels": False}),
        ("kubectl -n team get pods", None, None, None),
        ("kubectl create deployment web --image=nginx -r 3", ("create", "deployment"), ["web"], {"image": ["nginx"], "replicas": 3}),
        ("kubectl run web --image nginx --env=A=1 --env B=2", ("run",), ["web"], {"image": "nginx", "env": ["A=1", "B=2"]}),
        ("kubectl rollout undo deployment/web", ("rollout", "undo"), ["deployment/web"], {}),
        ("kubectl run t --image=busybox -- sleep 3600", ("run",), ["t", "sleep", "3600"], {}),
        ("kubectl logs web --tail=-1", ("logs",), ["web"], {"tail": -1}),
        ("kubectl label pods web 'note=a b'", ("label",), ["pods", "web", "note=a b"], {}),
    ],
)  # fmt: skip
def test_flags_anywhere_as_pflag_reads_them(line, path, args, flags):
    if path is None:  # flags before the command: said so, as a clear usage error
        with pytest.raises(UsageError, match="comes after a command"):
            parse(line)
        return
    parsed = parse(line)
    assert parsed.path == path
    assert parsed.args == args
    assert {k: parsed.flags[k] for k in flags} == flags


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("kubectl get pods --colour", "error: unknown flag: --colour"),
        ("kubectl get pods -x", "error: unknown shorthand flag: 'x' in -x"),
        ("kubectl get pods -n", "error: flag needs an argument: 'n' in -n"),
        ("kubectl run web --image", "error: flag needs an argument: --image"),
        ("kubectl scale deploy web --replicas=three", 'error: invalid argument "three" for "--replicas" flag: strconv.ParseInt: parsing "three": invalid syntax'),
        ("kubectl frobnicate", 'error: unknown command "frobnicate" for "kubectl"'),
        ("kubectl", "error: type a kubectl command, for example: kubectl get pods"),
        ("kubectl get pods 'web", "error: No closing quotation"),
    ],
)  # fmt: skip
def test_kubectl_s_own_words_for_what_it_refuses(line, message):
    with pytest.raises(UsageError) as refused:
        parse(line)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    "line",
    [
        "kubectl exec -it web -- sh",
        "kubectl apply -f pod.yaml",
        "kubectl create service clusterip web --tcp=80",
        "kubectl get pods --kubeconfig=/etc/kubernetes/admin.conf",
        "kubectl get pods --server https://elsewhere",
        "kubectl port-forward web 8080:80",
    ],
)
def test_what_the_box_leaves_to_the_real_kubectl_is_named(line):
    with pytest.raises(NotInTheBox):
        parse(line)


def test_resource_arguments_as_kubectl_reads_them():
    [pods], rest = targets(["po", "web", "db"])
    assert (pods.rt.name, pods.names, rest) == ("pods", ["web", "db"], [])
    found, rest = targets(["deploy/web", "rs/web-1", "app=x"])
    assert [(t.rt.name, t.names) for t in found] == [
        ("deployments", ["web"]),
        ("replicasets", ["web-1"]),
    ]
    assert rest == ["app=x"]
    assert [t.rt.name for t in targets(["pods,svc"])[0]] == ["pods", "services"]
    assert resource_type("deployments.apps").kind == "Deployment"
    assert object_name(resource_type("deploy"), "web") == "deployment.apps/web"
    with pytest.raises(UsageError, match='the server doesn\'t have a resource type "widgets"'):
        resource_type("widgets")


def test_tabwriter_aligns_runs_of_lines_that_share_a_column():
    text = tabwrite("Name:\tweb\nService Account:\tdefault\nContainers:\n  web:\n    Image:\tnginx")
    assert text.splitlines() == [
        "Name:             web",
        "Service Account:  default",
        "Containers:",
        "  web:",
        "    Image:  nginx",
    ]


def test_template_outputs_are_left_to_the_real_kubectl():
    nowhere = Context(api=None, server_url="", server_version="")  # type: ignore[arg-type]
    with pytest.raises(NotInTheBox, match="-o jsonpath: the box prints wide, yaml, json"):
        execute(nowhere, parse("kubectl get pods -o jsonpath={.items[*].metadata.name}"))


@pytest.mark.parametrize("line", ["kubectl help", "kubectl get pods --help"])
def test_help_says_what_the_box_runs_without_a_call(line):
    nowhere = Context(api=None, server_url="", server_version="")  # type: ignore[arg-type]
    text = execute(nowhere, parse(line))
    assert text.startswith("The command box runs kubectl's everyday commands")
    assert "Download kubeconfig" in text


def test_create_deployment_names_its_container_after_the_image():
    assert container_name("nginx:1.27") == "nginx"
    assert container_name("registry.k8s.io/pause@sha256:abc") == "pause"
    assert container_name("ghcr.io/org/my_app:v1") == "my-app"
