"""Lessons: scenarios instructors write as YAML and a class runs together."""
