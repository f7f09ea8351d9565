"""A JSONField that decodes with orjson: listing thousands of objects is mostly JSON decoding."""

from __future__ import annotations

import orjson
from django.db import models
from django.db.models.fields.json import KeyTransform


class FastJSONField(models.JSONField):
    def from_db_value(self, value, expression, connection):
        if value is None or not isinstance(value, str | bytes):
            return value
        if isinstance(expression, KeyTransform):
            return super().from_db_value(value, expression, connection)
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
