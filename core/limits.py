"""How much text a field may hold: one rule for every model of the project.

Free-text fields (TextField) declare `max_length` from the three sizes below, so forms show it
(`maxlength`, and Django's "paling banyak N karakter" error) and a value that does not fit is
refused. `check_text_lengths` runs before every save of a project model (connected in
core.apps), so a service, a management command, the admin and the JSON API are refused the same
way: with a ValidationError naming the field, never a database error or a 60-second PDF."""

import functools
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

SHORT_TEXT = 2_000  # a note, a reason, a comment on one item
MEDIUM_TEXT = 5_000  # a report's notes, a description, a review comment, a recap narrative
LONG_TEXT = 10_000  # meeting minutes per agenda item, decisions, a village's notes (~4 A4 pages)


@functools.cache
def _is_project_model(model) -> bool:
    # Models of a migration's historical state have no app config: migrations write raw data.
    app_config = model._meta.app_config
    return app_config is not None and Path(app_config.path).parent == Path(settings.BASE_DIR)


def check_text_lengths(sender, instance, raw=False, **kwargs) -> None:
    """pre_save: refuse a text or char value longer than its field's `max_length`."""
    if raw or not _is_project_model(sender):
        return
    for field in sender._meta.concrete_fields:
        if not isinstance(field, (models.CharField, models.TextField)) or not field.max_length:
            continue
        value = getattr(instance, field.attname)
        if isinstance(value, str) and len(value) > field.max_length:
            raise ValidationError(
                _("%(field)s: at most %(limit)s characters (this text has %(length)s).")
                % {
                    "field": capfirst(field.verbose_name),
                    "limit": number_format(field.max_length, force_grouping=True),
                    "length": number_format(len(value), force_grouping=True),
                },
                code="max_length",
            )
