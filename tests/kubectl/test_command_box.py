"""The page's command box (kubeapi/command_box) against the real kubectl 1.32: the same
command, typed in the box and run by the binary against the same sandbox, prints the
same lines, ages aside. Each box command goes through the sandbox's API server as the
user, traced with the command line typed."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from cluster.apiserver.authn import COMMAND_BOX_USER_AGENT
from cluster.models import Trace
from kubeapi.command_box.box import answer
from tests.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

# An age as kubectl prints one (5s, 2m10s, 3h), alone or in "(x3 over 40s)".
AGE = re.compile(r"\b\d+[smhdy](\d+[smh])?\b")


def same_lines(text: str) -> list[str]:
    """Lines with ages made equal and trailing spaces dropped; a column padded to a
    longer age shifts what follows, so runs of spaces count as one."""
    return [re.sub(r" {2,}", "  ", AGE.sub("AGE", line)).rstrip() for line in text.splitlines()]


@pytest.fixture
def kubectl(kubectl_for, alice, sandbox):
    return kubectl_for(alice, sandbox)


def test_the_box_prints_what_the_real_kubectl_prints(kubectl, stack, sandbox, alice):
    def box(line: str) -> str:
        reply = answer(sandbox, alice, line)
        return reply.text

    assert box("kubectl run web --image=nginx --labels=app=web,tier=front") == "pod/web created"
    trace = Trace.objects.get(sandbox=sandbox, verb="create", resource="pods", name="web")
    assert trace.command == "kubectl run web --image=nginx --labels=app=web,tier=front"
    assert trace.user_agent == COMMAND_BOX_USER_AGENT
    wait_for(lambda: "Running" in box("get pod web"), timeout=60)
    assert box("kubectl run web --image=nginx") == (
        'Error from server (AlreadyExists): pods "web" already exists'
    )

    for line in (
        "get pods",
        "get pods -o wide",
        "get pods -A",
        "get pods --show-labels",
        "get pods -l app=web -L tier",
        "get nodes",
        "get nodes -o wide",
        "get pods,nodes",
        "get pods -o name",
        "get pod web -o yaml",
        "describe pod web",
        "describe node node-1",
        "get services -n kube-system",
        "api-resources",
    ):
        real = kubectl(*line.split(), check=False)
        assert same_lines(box(f"kubectl {line}")) == same_lines(real.stdout + real.stderr), line

    # The pod's start, step by step in the order it happened, even within one second:
    # events are named by the time they were first recorded, as client-go names them.
    described = kubectl("describe", "pod", "web").stdout.split("Events:")[1]
    reasons = [line.split()[1] for line in described.splitlines()[3:] if line.strip()]
    assert reasons == ["Scheduled", "Pulling", "Pulled", "Created", "Started"]

    as_json = json.loads(box("kubectl get pod web -o json"))
    assert as_json == json.loads(kubectl("get", "pod", "web", "-o", "json").stdout)
    assert yaml.safe_load(box("get pods -o yaml"))["kind"] == "List"

    for line in ("get pod nope", "get pods -n nowhere", "get widgets"):
        real = kubectl(*line.split(), check=False)
        assert box(f"kubectl {line}") == (real.stdout + real.stderr).strip(), line
    # The same refusal, listing the formats the box prints (jsonpath and templates are the
    # real kubectl's).
    refused = 'error: unable to match a printer suitable for the output format "toml"'
    assert box("get pods -o toml").startswith(refused)
    assert kubectl("get", "pods", "-o", "toml", check=False).stderr.startswith(refused)


def test_writes_from_the_box_do_what_kubectl_s_do(stack, sandbox, alice):
    def box(line: str) -> str:
        reply = answer(sandbox, alice, line)
        return reply.text

    created = box("kubectl create deployment web --image=nginx --replicas=3")
    assert created == "deployment.apps/web created"
    wait_for(lambda: "successfully rolled out" in box("rollout status deployment/web"), timeout=90)
    assert box("kubectl scale deployment web --replicas=4") == "deployment.apps/web scaled"
    assert box("set image deployment/web nginx=nginx:1.27") == "deployment.apps/web image updated"
    assert box("kubectl set image deployment/web nope=x") == (
        'error: unable to find container named "nope"'
    )
    wait_for(lambda: "successfully rolled out" in box("rollout status deployment/web"), timeout=120)
    assert box("kubectl rollout undo deployment/web") == "deployment.apps/web rolled back"

    # The controller gives the template it went back to the next revision, as upstream's.
    def revisions() -> list[str]:
        history = box("kubectl rollout history deployment/web").splitlines()
        assert history[:2] == ["deployment.apps/web ", "REVISION  CHANGE-CAUSE"]
        return [row.split()[0] for row in history[2:]]

    wait_for(lambda: revisions() == ["2", "3"], timeout=60)

    assert box("label deployment web team=blue") == "deployment.apps/web labeled"
    assert box("label deployment web team=red") == (
        "error: 'team' already has a value (blue), and --overwrite is false"
    )
    assert box("label deployment web team=red --overwrite") == "deployment.apps/web labeled"
    assert box("annotate deploy/web owner=alice") == "deployment.apps/web annotated"
    assert box("kubectl cordon node-1") == "node/node-1 cordoned"
    assert box("kubectl cordon node-1") == "node/node-1 already cordoned"
    assert box("kubectl taint nodes node-2 gpu=yes:NoSchedule") == "node/node-2 tainted"
    assert box("kubectl taint nodes node-2 gpu=no:NoSchedule") == (
        "error: node node-2 already has gpu taint(s) with same effect(s) and --overwrite is false"
    )
    assert box("kubectl taint nodes node-2 gpu-") == "node/node-2 untainted"
    assert box("kubectl uncordon node-1") == "node/node-1 uncordoned"
    assert box("kubectl delete deployment web") == 'deployment.apps "web" deleted'
    assert box("kubectl delete pod nope") == 'Error from server (NotFound): pods "nope" not found'

    # What the box leaves to the real kubectl, and why; and kubectl's own usage errors.
    assert answer(sandbox, alice, "kubectl exec -it web -- sh").not_in_the_box
    assert answer(sandbox, alice, "kubectl get pods -w").not_in_the_box
    assert answer(sandbox, alice, "kubectl get pods --server=https://elsewhere").not_in_the_box
    assert box("kubectl get pods --colour") == "error: unknown flag: --colour"
    assert box("kubectl run x") == 'error: required flag(s) "image" not set'
    assert box("kubectl frobnicate") == 'error: unknown command "frobnicate" for "kubectl"'
    commands = set(
        Trace.objects.filter(sandbox=sandbox, user_agent=COMMAND_BOX_USER_AGENT).values_list(
            "command", flat=True
        )
    )
    assert "kubectl scale deployment web --replicas=4" in commands
    assert "kubectl cordon node-1" in commands
