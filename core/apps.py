from django.apps import AppConfig
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core: regions, offices, users")

    def ready(self):
        # An invariant of every project model, not domain logic: text must fit its field.
        from .limits import check_text_lengths

        pre_save.connect(check_text_lengths, dispatch_uid="core.check_text_lengths")
