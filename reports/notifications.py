"""The e-mails a report's review cycle sends, queued in the outbox by the services (inside
their transaction). Submitted → the province team; returned or approved → the kab/kota team of
the village's office and the village's pembina."""

from django.urls import reverse
from django.utils.translation import gettext as _

from core.mail import in_mail_language, notify, people
from core.models import NotificationKind, Role, User
from core.permissions import PROVINCE_TEAM

from .models import Report, Review
from .queries import SLUG_OF


def _facts(report: Report) -> dict:
    village = report.village
    return {
        "report": report.get_kind_display(),
        "village": village.village.name,
        "office": village.office.short_name,
    }


def _link(report: Report) -> str:
    return reverse("reports:report_detail", args=[SLUG_OF[report.kind], report.village_id])


def report_submitted(report: Report, *, by: User, resubmitted: bool) -> None:
    office = report.village.office
    with in_mail_language():
        facts = {**_facts(report), "by": by.get_full_name()}
        notify(
            people([office.parent_id], PROVINCE_TEAM),
            kind=NotificationKind.REPORT_SUBMITTED,
            subject=(
                _("Resubmitted for review: %(report)s, %(village)s")
                if resubmitted
                else _("Submitted for review: %(report)s, %(village)s")
            )
            % facts,
            message=_(
                "%(by)s (%(office)s) submitted the %(report)s of %(village)s. "
                "It waits for your review."
            )
            % facts,
            link=_link(report),
        )


def report_reviewed(report: Report, review: Review) -> None:
    village = report.village
    team = people([village.office_id], [Role.TIM_KABKOTA])
    returned = review.decision == Review.Decision.RETURNED
    with in_mail_language():
        facts = {**_facts(report), "by": review.by.get_full_name()}
        if returned:
            subject = _("Returned for changes: %(report)s, %(village)s") % facts
            message = (
                _(
                    "%(by)s returned the %(report)s of %(village)s. Change what the comment asks "
                    "and submit it again."
                )
                % facts
            )
            details = _("Comment: %(comment)s") % {"comment": review.comment}
        else:
            subject = _("Approved: %(report)s, %(village)s") % facts
            message = _("%(by)s approved the %(report)s of %(village)s.") % facts
            details = (
                _("Comment: %(comment)s") % {"comment": review.comment} if review.comment else ""
            )
        notify(
            [*team, *village.pembina.all()],
            kind=NotificationKind.REPORT_REVIEWED,
            subject=subject,
            message=message,
            details=details,
            link=_link(report),
        )
