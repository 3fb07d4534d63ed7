from django.apps import AppConfig
from django.core.signals import request_finished
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core: regions, offices, users")

    def ready(self):
        # An invariant of every project model, not domain logic: text must fit its field.
        from .limits import check_text_lengths

        pre_save.connect(check_text_lengths, dispatch_uid="core.check_text_lengths")
        # The request id stays on log records until the response is closed: Django logs a 4xx
        # or 5xx response after the middleware has returned it (core.middleware).
        from .logs import forget_request_id

        request_finished.connect(forget_request_id, dispatch_uid="core.forget_request_id")
