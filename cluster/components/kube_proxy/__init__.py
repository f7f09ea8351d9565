"""kube-proxy: one per node, turning Services and EndpointSlices into forwarding rules."""

from cluster.components.kube_proxy.proxier import Rule, build_rules, kube_proxy_tick, rules_of

__all__ = ["Rule", "build_rules", "kube_proxy_tick", "rules_of"]
