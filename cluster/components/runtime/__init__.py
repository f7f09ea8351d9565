"""The simulated container runtime (CRI) of a node, and the image catalogue it pulls from.

Pure logic: no Django, no database, no wall clock. See runtime.py for the
verbs and images.py for the catalogue.
"""

from cluster.components.runtime.images import CATALOGUE, lookup
from cluster.components.runtime.runtime import ContainerRuntime

__all__ = ["CATALOGUE", "ContainerRuntime", "lookup"]
