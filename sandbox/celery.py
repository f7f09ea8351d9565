"""The Celery application: the workers that run Podlab's control-plane loops."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")

app = Celery("podlab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
