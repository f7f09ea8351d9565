"""Strategic merge patch on plain dicts, with the patches kubectl 1.32 sends (apply, set
image, set env, taint, cordon) and the directives upstream's strategicpatch reads."""

from __future__ import annotations

import copy
import re

import pytest

from cluster.apiserver.errors import ApiError
from cluster.apiserver.patch import STRATEGIC, apply_patch
from cluster.apiserver.strategic_merge import StrategicMergeError, strategic_merge

WEB = {
    "name": "web",
    "image": "nginx:1.25",
    "ports": [{"containerPort": 80, "protocol": "TCP"}],
    "env": [{"name": "MODE", "value": "prod"}, {"name": "DEBUG", "value": "0"}],
    "args": ["--port", "80"],
}
SIDECAR = {"name": "log", "image": "busybox"}


def deployment(*containers: dict) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["a", "b"]},
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": copy.deepcopy(list(containers or [WEB, SIDECAR])),
                    "tolerations": [{"key": "gpu", "operator": "Exists"}],
                    "nodeSelector": {"disk": "ssd", "zone": "a"},
                },
            },
        },
    }


def pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def names(containers: list[dict]) -> list[str]:
    return [container["name"] for container in containers]


def in_template(spec_patch: dict) -> dict:
    return {"spec": {"template": {"spec": spec_patch}}}


def test_set_image_changes_the_image_and_keeps_the_rest_of_the_container_and_the_others():
    # What `kubectl set image deployment/web web=nginx:1.27` sends.
    patch = in_template(
        {
            "$setElementOrder/containers": [{"name": "web"}, {"name": "log"}],
            "containers": [{"image": "nginx:1.27", "name": "web"}],
        }
    )
    patched = strategic_merge(deployment(), patch, "Deployment")
    assert pod_spec(patched)["containers"] == [WEB | {"image": "nginx:1.27"}, SIDECAR]


def test_apply_merges_the_annotation_and_the_containers_and_keeps_what_it_does_not_name():
    # What `kubectl apply -f` sends for a changed image (client-side apply).
    last_applied = '{"apiVersion":"apps/v1","kind":"Deployment"}'
    patch = {
        "metadata": {
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": last_applied}
        },
        **in_template(
            {
                "$setElementOrder/containers": [{"name": "web"}, {"name": "log"}],
                "containers": [{"image": "nginx:1.27", "name": "web"}],
            }
        ),
    }
    patched = strategic_merge(deployment(), patch, "Deployment")
    assert patched["metadata"]["annotations"] == {
        "kubectl.kubernetes.io/last-applied-configuration": last_applied
    }
    assert patched["metadata"]["labels"] == {"app": "web"}
    assert patched["spec"]["replicas"] == 2
    assert pod_spec(patched)["containers"][0]["image"] == "nginx:1.27"
    assert pod_spec(patched)["containers"][1] == SIDECAR


def test_neither_the_object_nor_the_patch_is_changed():
    original, patch = deployment(), in_template({"containers": [{"name": "web", "image": "x"}]})
    before = copy.deepcopy((original, patch))
    strategic_merge(original, patch, "Deployment")
    assert (original, patch) == before


def test_a_container_is_deleted_by_its_name():
    patch = in_template({"containers": [{"name": "log", "$patch": "delete"}]})
    assert pod_spec(strategic_merge(deployment(), patch, "Deployment"))["containers"] == [WEB]


def test_env_merges_by_name():
    # What `kubectl set env deployment/web DEBUG=1 TRACE=on` sends (a two-way diff).
    env = [{"name": "DEBUG", "value": "1"}, {"name": "TRACE", "value": "on"}]
    web_patch = {
        "$setElementOrder/env": [{"name": "MODE"}, {"name": "DEBUG"}, {"name": "TRACE"}],
        "env": env,
        "name": "web",
    }
    patch = in_template(
        {
            "$setElementOrder/containers": [{"name": "web"}, {"name": "log"}],
            "containers": [web_patch],
        }
    )
    web = pod_spec(strategic_merge(deployment(), patch, "Deployment"))["containers"][0]
    assert web["env"] == [
        {"name": "MODE", "value": "prod"},
        {"name": "DEBUG", "value": "1"},
        {"name": "TRACE", "value": "on"},
    ]


def test_container_ports_merge_by_container_port():
    patch = in_template({"containers": [{"name": "web", "ports": [{"containerPort": 443}]}]})
    web = pod_spec(strategic_merge(deployment(), patch, "Deployment"))["containers"][0]
    assert web["ports"] == [{"containerPort": 443}, {"containerPort": 80, "protocol": "TCP"}]


def test_set_element_order_orders_the_merged_list():
    patch = in_template({"$setElementOrder/containers": [{"name": "log"}, {"name": "web"}]})
    assert names(pod_spec(strategic_merge(deployment(), patch, "Deployment"))["containers"]) == [
        "log",
        "web",
    ]


def test_an_element_the_order_does_not_name_keeps_its_place_among_the_servers():
    # The patch's author never knew of log (someone else added it): it stays between web
    # and proxy, where the server had it.
    proxy = {"name": "proxy", "image": "envoy"}
    patch = in_template({"$setElementOrder/containers": [{"name": "web"}, {"name": "proxy"}]})
    patched = strategic_merge(deployment(WEB, SIDECAR, proxy), patch, "Deployment")
    assert names(pod_spec(patched)["containers"]) == ["web", "log", "proxy"]


def test_a_new_container_without_an_order_comes_first_as_upstream_puts_it():
    # As the docs' "Notes on the strategic merge patch" show for a patch adding a container.
    patch = in_template({"containers": [{"name": "redis", "image": "redis"}]})
    patched = strategic_merge(deployment(), patch, "Deployment")
    assert names(pod_spec(patched)["containers"]) == ["redis", "web", "log"]


def test_an_order_that_contradicts_the_patch_list_is_refused():
    patch = in_template(
        {
            "$setElementOrder/containers": [{"name": "web"}, {"name": "log"}],
            "containers": [{"name": "log", "image": "a"}, {"name": "web", "image": "b"}],
        }
    )
    with pytest.raises(StrategicMergeError, match="doesn't match \\$setElementOrder list"):
        strategic_merge(deployment(), patch, "Deployment")


def test_a_list_of_primitives_is_replaced():
    patch = in_template({"containers": [{"name": "web", "args": ["--port", "8080"]}]})
    web = pod_spec(strategic_merge(deployment(), patch, "Deployment"))["containers"][0]
    assert web["args"] == ["--port", "8080"]


def test_finalizers_merge_as_a_set_and_leave_by_the_deletion_list():
    added = strategic_merge(deployment(), {"metadata": {"finalizers": ["c", "a"]}}, "Deployment")
    assert added["metadata"]["finalizers"] == ["c", "a", "b"]
    patch = {
        "metadata": {
            "$setElementOrder/finalizers": ["b"],
            "$deleteFromPrimitiveList/finalizers": ["a"],
        }
    }
    removed = strategic_merge(deployment(), patch, "Deployment")
    assert removed["metadata"]["finalizers"] == ["b"]


def test_replace_on_a_map_replaces_it_whole():
    patch = in_template({"nodeSelector": {"$patch": "replace", "disk": "hdd"}})
    patched = strategic_merge(deployment(), patch, "Deployment")
    assert pod_spec(patched)["nodeSelector"] == {"disk": "hdd"}


def test_replace_on_a_merging_list_replaces_it_whole():
    patch = in_template({"containers": [{"$patch": "replace"}, {"name": "db", "image": "pg"}]})
    patched = strategic_merge(deployment(), patch, "Deployment")
    assert pod_spec(patched)["containers"] == [{"name": "db", "image": "pg"}]


def test_null_deletes_a_key_and_delete_deletes_a_map():
    patch = {
        "metadata": {"labels": {"app": None}},
        **in_template({"nodeSelector": {"$patch": "delete"}}),
    }
    patched = strategic_merge(deployment(), patch, "Deployment")
    assert patched["metadata"]["labels"] == {}
    assert "nodeSelector" not in pod_spec(patched)


def test_retain_keys_clears_the_keys_it_does_not_name():
    # What `kubectl apply` sends when a Deployment's strategy becomes Recreate.
    patch = {
        "spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": None, "type": "Recreate"}}
    }
    patched = strategic_merge(deployment(), patch, "Deployment")
    assert patched["spec"]["strategy"] == {"type": "Recreate"}


def test_a_patch_setting_a_key_retain_keys_does_not_name_is_malformed():
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 1}}}}
    with pytest.raises(StrategicMergeError, match="invalid patch format of retainKeys") as caught:
        strategic_merge(deployment(), patch, "Deployment")
    assert caught.value.malformed


def test_tolerations_have_no_merge_key_and_are_replaced_whole():
    patch = in_template({"tolerations": [{"key": "spot", "operator": "Exists"}]})
    patched = strategic_merge(deployment(), patch, "Deployment")
    assert pod_spec(patched)["tolerations"] == [{"key": "spot", "operator": "Exists"}]


NODE = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {"name": "node-1"},
    "spec": {"taints": [{"key": "old", "effect": "NoExecute"}]},
    "status": {
        "conditions": [
            {"type": "Ready", "status": "True"},
            {"type": "MemoryPressure", "status": "False"},
        ],
        "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}],
    },
}


def test_taints_have_no_merge_key_so_the_list_kubectl_taint_sends_replaces_the_nodes():
    new = {"effect": "NoSchedule", "key": "k", "value": "v"}
    tainted = strategic_merge(NODE, {"spec": {"taints": [new]}}, "Node")
    assert tainted["spec"]["taints"] == [new]


def test_cordon_sets_unschedulable_and_keeps_the_taints():
    cordoned = strategic_merge(NODE, {"spec": {"unschedulable": True}}, "Node")
    assert cordoned["spec"] == NODE["spec"] | {"unschedulable": True}


def test_node_conditions_and_addresses_merge_by_type():
    patch = {
        "status": {
            "conditions": [{"type": "Ready", "status": "False"}],
            "addresses": [{"type": "Hostname", "address": "node-1"}],
        }
    }
    patched = strategic_merge(NODE, patch, "Node")
    assert patched["status"]["conditions"] == [
        {"type": "Ready", "status": "False"},
        {"type": "MemoryPressure", "status": "False"},
    ]
    assert [a["type"] for a in patched["status"]["addresses"]] == ["Hostname", "InternalIP"]


def test_service_ports_merge_by_port():
    service = {
        "kind": "Service",
        "spec": {"ports": [{"port": 80, "targetPort": 8080}, {"port": 443, "targetPort": 8443}]},
    }
    patch = {"spec": {"ports": [{"port": 80, "targetPort": 9090}]}}
    assert strategic_merge(service, patch, "Service")["spec"]["ports"] == [
        {"port": 80, "targetPort": 9090},
        {"port": 443, "targetPort": 8443},
    ]


def test_owner_references_merge_by_uid_as_a_controller_releases_a_pod():
    owners = [{"uid": "rs-1", "name": "web-1"}, {"uid": "other", "name": "x"}]
    pod = {"kind": "Pod", "metadata": {"name": "p", "uid": "p-1", "ownerReferences": owners}}
    patch = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": "rs-1"}], "uid": "p-1"}}
    assert strategic_merge(pod, patch, "Pod")["metadata"]["ownerReferences"] == owners[1:]


def test_an_unknown_kind_replaces_every_list():
    # Podlab has no merge keys for it, so the patch acts as a merge patch does on lists.
    thing = {
        "kind": "Widget",
        "metadata": {"finalizers": ["a"]},
        "spec": {"items": [{"name": "a"}]},
    }
    patch = {"metadata": {"finalizers": ["b"]}, "spec": {"items": [{"name": "b"}]}}
    assert strategic_merge(thing, patch, "Widget") == thing | patch


@pytest.mark.parametrize(
    ("spec_patch", "message"),
    [
        ({"nodeSelector": {"$patch": "explode"}}, "unknown patch type: explode in map"),
        ({"containers": [{"name": "web", "$patch": "explode"}]}, "unknown patch type: explode"),
        ({"containers": [{"$patch": "merge"}]}, "merging lists cannot yet be specified"),
        (
            {"containers": [{"image": "nginx"}]},
            "map: map[image:nginx] does not contain declared merge key: name",
        ),
        ({"containers": ["web"]}, "list element types are not identical"),
    ],
)
def test_a_patch_the_merge_cannot_apply_is_refused(spec_patch, message):
    with pytest.raises(StrategicMergeError, match=re.escape(message)) as caught:
        strategic_merge(deployment(), in_template(spec_patch), "Deployment")
    assert not caught.value.malformed


@pytest.mark.parametrize("directive", ["$setElementOrder", "$deleteFromPrimitiveListx/args"])
def test_a_directive_without_its_list_is_malformed(directive):
    with pytest.raises(StrategicMergeError, match="invalid patch format") as caught:
        strategic_merge(deployment(), {"metadata": {directive: []}}, "Deployment")
    assert caught.value.malformed


@pytest.mark.parametrize("patch_type", ["strategic", STRATEGIC])
def test_apply_patch_merges_strategically_by_the_objects_kind(patch_type):
    patch = in_template({"containers": [{"name": "web", "image": "nginx:1.27"}]})
    patched = apply_patch(deployment(), patch, patch_type)
    assert pod_spec(patched)["containers"] == [WEB | {"image": "nginx:1.27"}, SIDECAR]


@pytest.mark.parametrize(
    ("patch", "code", "message"),
    [
        ([{"op": "add"}], 400, "json: cannot unmarshal array into Go value of type map"),
        ({"$patch": "explode"}, 422, "unknown patch type: explode"),
        ({"$retainKeys": "spec"}, 400, "invalid patch format of retainKeys"),
    ],
)
def test_apply_patch_answers_a_bad_strategic_patch_with_upstreams_code(patch, code, message):
    with pytest.raises(ApiError, match=re.escape(message)) as caught:
        apply_patch(deployment(), patch, STRATEGIC)
    assert caught.value.code == code
