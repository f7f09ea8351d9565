"""The default profile's plugins, one module each, named as upstream names them.

Filters: NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts,
NodeResourcesFit. Scores: TaintToleration, NodeAffinity, NodeResourcesFit
(LeastAllocated), NodeResourcesBalancedAllocation, ImageLocality. Their order
and weights live in cluster.components.scheduler.profile.
"""
