from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LkeConfig(AppConfig):
    name = "lke"
    verbose_name = _("LKE assessment")

    def ready(self):
        from reports.queries.final_draft import provide_lke_result

        from .queries import final_result_of_village

        provide_lke_result(final_result_of_village)
