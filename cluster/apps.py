from django.apps import AppConfig


class ClusterConfig(AppConfig):
    name = "cluster"
    verbose_name = "Cluster (store, API server, components)"

    def ready(self) -> None:
        # Watch notifications: a committed store write wakes the components
        # that watch what changed (the API server itself knows no component).
        from cluster import loops, runs, tasks  # noqa: F401  (runs registers the components)
        from cluster.apiserver.publish import store_committed

        store_committed.connect(
            loops.on_commit_enqueue(tasks.enqueue_tick, tasks.enqueue_due_tick),
            weak=False,
            dispatch_uid="podlab-watchers",
        )
