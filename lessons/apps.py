from django.apps import AppConfig


class LessonsConfig(AppConfig):
    name = "lessons"

    def ready(self) -> None:
        # A change in a sandbox with a lesson going wakes its run, as watchers are woken.
        from cluster.apiserver.publish import store_committed
        from lessons import tasks

        store_committed.connect(tasks.on_commit_wake, weak=False, dispatch_uid="podlab-lessons")
