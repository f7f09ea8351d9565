"""set image and rollout: a Deployment's rollouts, as kubectl drives them."""

from __future__ import annotations

from cluster.objects import format_time
from cluster.workload_operations import RollbackError, set_image, undo
from kubeapi.command_box import rollout
from kubeapi.command_box.context import REAL_KUBECTL, Context, namespace_of
from kubeapi.command_box.grammar import Invocation, NotInTheBox, UsageError
from kubeapi.command_box.targets import object_name, targets


def set_image_command(context: Context, invocation: Invocation) -> str:
    found, changes = targets(invocation.args)
    if not found or not found[0].names or not changes:
        raise UsageError(
            "error: set image needs a resource and container=image:"
            " kubectl set image deployment/web nginx=nginx:1.27"
        )
    namespace = namespace_of(invocation)
    lines = []
    for target in found:
        if target.rt.name != "deployments":
            raise NotInTheBox(f"set image on {target.rt.name}: the box sets a Deployment's images")
        for name in target.names:
            containers = context.api.get("deployments", name, namespace=namespace)["spec"][
                "template"
            ]["spec"]["containers"]
            for change in changes:
                container, separator, image = change.partition("=")
                if not separator or not image:
                    raise UsageError(f"error: invalid image update: {change}")
                chosen = [c["name"] for c in containers if container in ("*", c["name"])]
                if not chosen:
                    raise UsageError(f'error: unable to find container named "{container}"')
                for each in chosen:
                    set_image(context.api, name, image, namespace=namespace, container=each)
            lines.append(f"{object_name(target.rt, name)} image updated")
    return "\n".join(lines)


def _one_deployment(invocation: Invocation) -> str:
    found, rest = targets(invocation.args)
    if len(found) != 1 or len(found[0].names) != 1 or rest:
        raise UsageError(f"error: kubectl {invocation.name} takes one deployment: deployment/web")
    if found[0].rt.name != "deployments":
        raise NotInTheBox(
            f"kubectl {invocation.name} of {found[0].rt.name}: the box rolls Deployments"
        )
    return found[0].names[0]


def rollout_status(context: Context, invocation: Invocation) -> str:
    name = _one_deployment(invocation)
    deployment = context.api.get("deployments", name, namespace=namespace_of(invocation))
    text, done = rollout.status(deployment)
    if done or invocation.flag("watch") is False:
        return text
    return text + "\n(The box looks once: run it again, or let the real kubectl wait.)"


def rollout_undo(context: Context, invocation: Invocation) -> str:
    name = _one_deployment(invocation)
    if invocation.flag("to-revision"):
        raise NotInTheBox(f"--to-revision: the box goes back one revision; {REAL_KUBECTL}")
    try:
        skipped = undo(context.api, name, namespace=namespace_of(invocation))
    except RollbackError as error:
        raise UsageError(f"error: {error}") from error
    return skipped or f"deployment.apps/{name} rolled back"


def rollout_restart(context: Context, invocation: Invocation) -> str:
    name = _one_deployment(invocation)
    stamp = format_time(context.now)
    patch = {
        "spec": {
            "template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": stamp}}}
        }
    }
    context.api.patch(
        "deployments", name, patch, patch_type="strategic", namespace=namespace_of(invocation)
    )
    return f"deployment.apps/{name} restarted"


def rollout_history(context: Context, invocation: Invocation) -> str:
    name = _one_deployment(invocation)
    namespace = namespace_of(invocation)
    deployment = context.api.get("deployments", name, namespace=namespace)
    replica_sets = context.api.list("replicasets", namespace=namespace)["items"]
    return rollout.history(deployment, replica_sets)
