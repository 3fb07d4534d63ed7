"""How the audit log reads on the Riwayat pages: action names, field names and values in the
user's language, never raw codes such as `report.approve` or `submitted → approved`.

The audit row keeps the code (it is the record); this module only labels it. A new action gets
its label here: `core/tests/test_history.py` fails for any action written by the code that has
none."""

from datetime import date, datetime

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ACTION_LABELS = {
    # core
    "attachment.add": _("File attached"),
    "attachment.remove": _("File removed"),
    "extension.grant": _("Deadline extension (dispensasi) granted"),
    "extension.request": _("Deadline extension (dispensasi) requested"),
    "extension.decline": _("Dispensasi request declined"),
    "user.notifications": _("Notification settings changed"),
    "user.profile": _("Profile changed"),
    "user.invite": _("Account created and invitation sent"),
    "user.invite_again": _("Invitation sent again"),
    "user.password_reset": _("Password reset link sent"),
    "user.password_set": _("Password set with the e-mailed link"),
    "user.update": _("Account data changed"),
    "user.role_add": _("Role added"),
    "user.role_remove": _("Role removed"),
    "user.deactivate": _("Account deactivated"),
    "user.reactivate": _("Account activated again"),
    "sso.login": _("Logged in with SSO BPS"),
    "sso.refuse": _("SSO BPS login refused"),
    "membership.create": _("Office membership added"),
    "api_token.create": _("API token created"),
    "api_token.revoke": _("API token revoked"),
    # program
    "program_year.create": _("Program year created"),
    "program_year.update": _("Program year settings changed"),
    "sop_activity.update": _("SOP time standard changed"),
    "village.add": _("Village added to the program"),
    "village.update": _("Village data changed"),
    "village.import": _("Villages imported from xlsx"),
    "work_plan.add": _("Work-plan activity added"),
    "work_plan.update": _("Work-plan activity changed"),
    "work_plan.delete": _("Work-plan activity deleted"),
    "work_plan.realise": _("Work-plan realisation recorded"),
    "work_plan.import": _("Work plan imported from xlsx"),
    "agent.add": _("Agen statistik added to the register"),
    "agent.update": _("Agen statistik changed in the register"),
    "agent.delete": _("Agen statistik removed from the register"),
    "agent.copy": _("Agen statistik copied from an earlier program year"),
    # reports
    "report.create": _("Report draft created"),
    "report.update": _("Report draft changed"),
    "report.submit": _("Report submitted"),
    "report.return": _("Report returned for revision"),
    "report.approve": _("Report approved"),
    # meetings
    "meeting.create": _("Meeting drafted"),
    "meeting.update": _("Meeting changed"),
    "meeting.delete": _("Meeting draft deleted"),
    "meeting.schedule": _("Meeting scheduled and invitations sent"),
    "meeting.cancel": _("Meeting cancelled"),
    "meeting.confirm_attendance": _("Attendance confirmed by the office"),
    "meeting.hold": _("Meeting marked as held"),
    "meeting.close": _("Meeting closed"),
    "meeting.attendance": _("Attendance recorded"),
    "meeting.minutes": _("Minutes and decisions recorded"),
    "meeting.action_item": _("Action item recorded"),
    "meeting.action_item_delete": _("Action item deleted"),
    "meeting.correct_attendance": _("Attendance corrected after closing"),
    "meeting.correct_minutes": _("Minutes corrected after closing"),
    "meeting.correct_action_items": _("Action items corrected after closing"),
    "meeting.correct_number": _("Letter number of the Laporan rapat corrected"),
    "action_item.add": _("Action item added"),
    "action_item.update": _("Action item changed"),
    "action_item.done": _("Action item marked done"),
    "action_item.confirm": _("Action item completion confirmed"),
    "action_item.reopen": _("Action item reopened"),
    "action_item.correct": _("Action item corrected after closing"),
    # LKE
    "lke_instrument.create": _("LKE instrument loaded"),
    "lke_instrument.replace": _("LKE instrument replaced"),
    "lke.open": _("LKE assessment opened"),
    "lke.worksheets_add": _("LKE worksheets created"),
    "lke.answer.self": _("Self-assessment answer saved"),
    "lke.answer.provincial": _("Provincial verification answer saved"),
    "lke.import.self": _("Self-assessment answers imported from xlsx"),
    "lke.import.provincial": _("Provincial answers imported from xlsx"),
    "lke.evidence.add": _("Evidence attached"),
    "lke.evidence.remove": _("Evidence removed"),
    "lke.accept_self": _("Self-assessment answers taken over by the province"),
    "lke.submit": _("Worksheet submitted to the province"),
    "lke.start_verification": _("Provincial verification started"),
    "lke.return": _("Worksheet returned for revision"),
    "lke.finalise": _("Worksheet finalised"),
    "lke.reopen": _("Worksheet reopened"),
    "lke.sign_off": _("Worksheet signed off"),
    "lke.sign_off_results": _("Provincial LKE results signed"),
    "lke.rescore": _("Scores computed again after a divisor of the instrument was corrected"),
    "lke_instrument.rule_add": _("Checking rule added to the instrument"),
    "lke_instrument.rule_update": _("Checking rule of the instrument changed"),
    "lke_instrument.rule_delete": _("Checking rule of the instrument deleted"),
    "lke_instrument.divisor": _("Divisor of an item corrected"),
    # monitoring
    "recap.generate": _("Progress recap generated"),
    "recap.regenerate": _("Progress recap regenerated"),
    "recap.sign_off": _("Progress recap signed by the head"),
}

# The last part of an action not listed above (e.g. the Django admin's `<model>.update`).
VERB_LABELS = {
    "create": _("Created"),
    "add": _("Added"),
    "update": _("Changed"),
    "delete": _("Deleted"),
    "remove": _("Removed"),
    "import": _("Imported"),
    "submit": _("Submitted"),
    "approve": _("Approved"),
    "return": _("Returned"),
    "cancel": _("Cancelled"),
    "close": _("Closed"),
    "sign_off": _("Signed"),
}


# Keys of `changes` that are not fields of the audited model.
KEY_LABELS = {
    "attachment": _("file"),
    "file": _("file"),
    "worksheets": _("worksheets"),
    "items": _("items"),
    "added": _("added"),
    "updated": _("changed"),
    "version": _("version"),
    "notifications_off": _("notifications switched off"),
    "memberships": _("offices and roles"),
    "agen statistik": _("agen statistik"),
    "action item": _("action item"),
    "copied from": _("copied from the program year"),
    "deadline asked for": _("deadline asked for"),
    "total_self": _("total (self-assessment)"),
    "total_provincial": _("total (provincial verification)"),
    "": _("entry"),
}

# The first part of a key "<name>: <title>" (the minutes of one agenda item of a meeting).
PREFIX_LABELS = {
    "minutes": _("minutes"),
}

# The second part of a key "<item code> · <name>" (an LKE answer, its evidence).
ITEM_KEY_LABELS = {
    "answer": _("answer"),
    "note": _("note"),
    "reason": _("reason"),
    "evidence": _("evidence"),
    "document kind": _("document kind"),
    "check rule": _("checking rule"),
    "divisor": _("divisor"),
}


def key_label(model: type[models.Model] | None, key: str) -> tuple[str, models.Field | None]:
    """The label of a `changes` key and the model field behind it, if any."""
    code, dot, name = key.rpartition(" · ")
    if dot and name in ITEM_KEY_LABELS:
        return f"{code} · {ITEM_KEY_LABELS[name]}", None
    prefix, colon, title = key.partition(": ")
    if colon and prefix in PREFIX_LABELS:
        return f"{PREFIX_LABELS[prefix]}: {title}", None
    try:
        field = model._meta.get_field(key)
    except (FieldDoesNotExist, AttributeError):  # not a field, or no model class any more
        return str(KEY_LABELS.get(key, key.replace("_", " "))), None
    # A reverse relation has no verbose name: keep the key.
    label = getattr(field, "verbose_name", None) or KEY_LABELS.get(key, key.replace("_", " "))
    return str(label), field if isinstance(field, models.Field) else None


def action_label(action: str) -> str:
    """The action in the user's language; an unknown action reads as a plain "change"."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    verb = action.rsplit(".", 1)[-1]
    return str(VERB_LABELS.get(verb, pgettext_lazy("audit action", "Change")))


def value_label(field: models.Field | None, value) -> str:
    """One stored value as people read it: a choice's label, Ya/Tidak, a date as
    "18 November 2026", lists joined, nothing as "—"."""
    if isinstance(value, list):
        return ", ".join(value_label(field, v) for v in value) or "—"
    if value is None or value == "":
        return "—"
    if field is not None and field.choices:
        labels = {str(key): label for key, label in field.flatchoices}
        return str(labels.get(str(value), value))
    if isinstance(value, bool) or isinstance(field, models.BooleanField):
        truthy = value is True or str(value).lower() in {"true", "1"}
        return str(_("Yes") if truthy else _("No"))
    if isinstance(field, models.DateTimeField) or isinstance(value, datetime):
        moment = value if isinstance(value, datetime) else parse_datetime(str(value))
        if moment is not None:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return formats.date_format(moment, "j F Y H.i")
    if isinstance(field, models.DateField) or isinstance(value, date):
        day = value if isinstance(value, date) else parse_date(str(value))
        if day is not None:
            return formats.date_format(day, "j F Y")
    if field is None and isinstance(value, str) and len(value) >= 10 and value[4:5] == "-":
        try:  # a date kept under a key that is not a field
            moment = parse_date(value) if len(value) == 10 else parse_datetime(value)
        except ValueError:
            moment = None
        if moment is not None:
            return value_label(None, moment)
    return str(value)
