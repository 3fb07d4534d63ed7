"""The e-mails of the LKE worksheet cycle, queued in the outbox by the services (inside their
transaction): submitted → the province team; returned or finalised → the kab/kota team of the
worksheet's office; the last worksheet of the year finalised → the province head, whose
signature the results now wait for."""

from django.urls import reverse
from django.utils.translation import gettext as _

from core.mail import in_mail_language, notify, people
from core.models import NotificationKind, Role, User
from core.permissions import PROVINCE_TEAM

from .models import FINAL_STATUSES, Worksheet


def worksheet_moved(worksheet: Worksheet, action: str, *, by: User, reason: str = "") -> None:
    office = worksheet.office
    link = reverse("lke:worksheet", args=[worksheet.pk])
    with in_mail_language():
        facts = {
            "subject": worksheet.subject_name,
            "office": office.short_name,
            "by": by.get_full_name(),
        }
        if action == "submit":
            users = people([office.parent_id], PROVINCE_TEAM)
            subject = _("LKE worksheet to verify: %(subject)s") % facts
            message = (
                _(
                    "%(by)s (%(office)s) submitted the LKE worksheet of %(subject)s. "
                    "It waits for the provincial verification."
                )
                % facts
            )
        elif action == "return":
            users = people([office.pk], [Role.TIM_KABKOTA])
            subject = _("LKE worksheet returned: %(subject)s") % facts
            message = (
                _(
                    "%(by)s returned the LKE worksheet of %(subject)s. Change what the comment "
                    "asks and submit it again."
                )
                % facts
            )
        elif action == "finalise":
            users = people([office.pk], [Role.TIM_KABKOTA])
            subject = _("LKE worksheet finalised: %(subject)s") % facts
            message = _("%(by)s finalised the LKE worksheet of %(subject)s.") % facts
        else:
            return
        notify(
            users,
            kind=NotificationKind.WORKSHEET,
            subject=subject,
            message=message,
            details=_("Comment: %(comment)s") % {"comment": reason} if reason else "",
            link=link,
        )
    if action == "finalise":
        _results_ready_if_complete(worksheet)


def _results_ready_if_complete(worksheet: Worksheet) -> None:
    assessment = worksheet.assessment
    if assessment.signed_off_at or (
        Worksheet.objects.filter(assessment=assessment).exclude(status__in=FINAL_STATUSES).exists()
    ):
        return
    program_year = assessment.program_year
    with in_mail_language():
        notify(
            people([program_year.province_id], [Role.KEPALA]),
            kind=NotificationKind.TO_SIGN,
            subject=_("LKE results %(year)s ready to sign") % {"year": program_year.year},
            message=_(
                "Every LKE worksheet of %(year)s is finalised. The Hasil penilaian LKE "
                "Provinsi waits for your signature."
            )
            % {"year": program_year.year},
            link=reverse("lke:results") + f"?tahun={program_year.year}",
        )
