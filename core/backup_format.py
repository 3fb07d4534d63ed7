"""The serialization format of `manage.py backup` ("backup"): Django's JSON, except that times
keep their microseconds (Django's JSON encoder cuts them to milliseconds, so a restored audit
log would not be the same log). Loading is Django's JSON deserializer, unchanged."""

import datetime

from django.core.serializers import json as django_json
from django.core.serializers.json import Deserializer  # noqa: F401 (the format's loader)


class Encoder(django_json.DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time) and o.utcoffset() is None:
            return o.isoformat()
        return super().default(o)


class Serializer(django_json.Serializer):
    def _init_options(self):
        super()._init_options()
        self.json_kwargs["cls"] = Encoder
