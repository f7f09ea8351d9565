"""Integration tests use the real stack fixtures of tests/conftest.py: celery_worker,
celery_beat and stack (both), each a separate OS process on the test database."""
