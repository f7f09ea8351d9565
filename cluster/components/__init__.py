"""Control-plane and node components: plain reconcile functions over the API server.

Components import no Django ORM, Celery or Channels. They get an API handle
(ClusterApi: the API server as that component, or an in-memory fake in unit
tests), the sandbox clock, and the state they keep between ticks.
"""
