"""The kubelet: one per node. See kubelet.py."""

from cluster.components.kubelet.kubelet import kubelet_tick

__all__ = ["kubelet_tick"]
