"""kube-controller-manager: control loops that make actual state match desired state.

Each controller is a module with a pure reconcile function, like the scheduler
and the kubelet; the task layer (cluster/runs.py) runs each as the component
"controller-manager/<name>", acting under its own service account
(system:serviceaccount:kube-system:replicaset-controller...).
"""

from __future__ import annotations

from cluster.components.controllers import (
    deployment,
    endpoints,
    endpointslice,
    garbagecollector,
    namespace,
    nodelifecycle,
    podgc,
    replicaset,
    replicationcontroller,
    tainteviction,
)
from cluster.components.controllers.controller import Controller

CONTROLLERS: dict[str, Controller] = {
    controller.name: controller
    for controller in (
        deployment.CONTROLLER,
        replicaset.CONTROLLER,
        replicationcontroller.CONTROLLER,
        endpoints.CONTROLLER,
        endpointslice.CONTROLLER,
        nodelifecycle.CONTROLLER,
        tainteviction.CONTROLLER,
        podgc.CONTROLLER,
        garbagecollector.CONTROLLER,
        namespace.CONTROLLER,
    )
}

__all__ = ["CONTROLLERS", "Controller"]
