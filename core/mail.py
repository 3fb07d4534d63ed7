"""The mail outbox: how every e-mail of the system is queued and delivered.

Services never talk to the mail server. They call `queue_mail` (an address) or `notify` (users,
honouring each user's opt-outs) inside their own transaction; the rows become visible with the
change they report, or vanish with it when it rolls back. `deliver_outbox` (the
`send_mail_outbox` command, run every minute by cron or a systemd timer on every app server)
sends what is due. Each row is claimed with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, so
several workers at once never send one message twice; on SQLite (one server) the row lock is a
no-op and the single worker's transaction is enough."""

import logging
import threading
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError, transaction
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation

from .models import NotificationOptOut, OutgoingMail, User

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
# Delay before attempt n+1 after n failures: 1, 2, 4, ... minutes, at most 6 hours (ten
# attempts span about a day, enough for a mail server to come back after a weekend outage
# is noticed; a row that still fails stays in the outbox as failed, to be retried by hand).
MAX_DELAY = timedelta(hours=6)


def retry_delay(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_DELAY)


@dataclass(frozen=True)
class Attachment:
    """A small text attachment (an .ics); `params` go on its Content-Type (e.g. method)."""

    filename: str
    content: str
    mimetype: str
    params: tuple[tuple[str, str], ...] = ()


def site_link(path: str) -> str:
    """An absolute link for a mail: settings.SITE_URL + the page's path."""
    return settings.SITE_URL.rstrip("/") + path


def _outgoing(
    to: str, *, subject: str, body: str, kind: str, attachments: Iterable[Attachment]
) -> OutgoingMail:
    """One outbox row, not saved yet."""
    return OutgoingMail(
        to=to,
        subject=subject[:255],
        body=body,
        kind=kind,
        attachments=[
            {
                "filename": a.filename,
                "content": a.content,
                "mimetype": a.mimetype,
                "params": dict(a.params),
            }
            for a in attachments
        ],
    )


def queue_mail(
    to: str,
    *,
    subject: str,
    body: str,
    kind: str = "",
    attachments: Iterable[Attachment] = (),
) -> OutgoingMail:
    """Put one e-mail to one address in the outbox. Call it inside the transaction of the write
    it reports (it is part of that write)."""
    mail = _outgoing(to, subject=subject, body=body, kind=kind, attachments=attachments)
    mail.save(force_insert=True)
    return mail


def people(office_ids: Iterable[int], roles: Iterable[str]) -> list[User]:
    """The active users holding one of `roles` in one of the offices (who must act)."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__office_id__in=list(office_ids),
            memberships__role__in=list(roles),
        ).distinct()
    )


def _opted_out(user_ids: Collection[int]) -> set[tuple[int, str]]:
    """(user id, kind) of every opt-out of the users, in chunks of 500 users."""
    ids = sorted(user_ids)
    found: set[tuple[int, str]] = set()
    for start in range(0, len(ids), 500):
        found.update(
            NotificationOptOut.objects.filter(user_id__in=ids[start : start + 500]).values_list(
                "user_id", "kind"
            )
        )
    return found


def _chosen(users: Iterable[User], kind: str, opted_out: set[tuple[int, str]]) -> list[User]:
    """The active users with an address who have not switched `kind` off, one per address, in
    username order."""
    users = {u.pk: u for u in users if u.is_active and u.email}
    chosen: dict[str, User] = {}
    for user in sorted(users.values(), key=lambda u: u.username):
        if (user.pk, kind) not in opted_out:
            chosen.setdefault(user.email.lower(), user)
    return list(chosen.values())


def recipients(users: Iterable[User], kind: str) -> list[User]:
    """The active users with an address who have not switched `kind` off, one per address, in
    username order."""
    users = [u for u in users if u.is_active and u.email]
    if not users:
        return []
    return _chosen(users, kind, _opted_out({u.pk for u in users}))


@dataclass(frozen=True)
class Notice:
    """One notification to some users (see `notify`)."""

    users: Sequence[User]
    kind: str
    subject: str
    message: str
    link: str
    details: str = ""
    attachments: tuple[Attachment, ...] = ()


# Stands for the recipient's name while a notice's text is rendered once for all of them (the
# template prints the name as it is: autoescape is off in the plain-text mail).
_NAME = "\x00recipient-name\x00"


def notify_all(notices: Iterable[Notice]) -> list[OutgoingMail]:
    """Queue the mails of many notices at once (see `notify`): one query for the opt-outs of
    all their users (per 500 users), each notice's text rendered once, the rows inserted in
    batches. Returns the rows."""
    notices = list(notices)
    users = {u.pk for n in notices for u in n.users if u.is_active and u.email}
    opted_out = _opted_out(users) if users else set()
    template = get_template("core/email/notification.txt")
    profile_link = site_link(reverse("profile"))
    mails = []
    with translation.override(settings.LANGUAGE_CODE):
        for notice in notices:
            chosen = _chosen(notice.users, notice.kind, opted_out)
            if not chosen:
                continue
            link = notice.link if "://" in notice.link else site_link(notice.link)
            text = template.render(
                {
                    "message": notice.message,
                    "details": notice.details,
                    "link": link,
                    "ORGANISATION_NAME": settings.ORGANISATION_NAME,
                    "profile_link": profile_link,
                    "name": _NAME,
                }
            )
            for user in chosen:
                body = text.replace(_NAME, user.get_full_name())
                mails.append(
                    _outgoing(
                        user.email,
                        subject=notice.subject,
                        body=body,
                        kind=notice.kind,
                        attachments=notice.attachments,
                    )
                )
    return OutgoingMail.objects.bulk_create(mails, batch_size=500)


def notify(
    users: Iterable[User],
    *,
    kind: str,
    subject: str,
    message: str,
    link: str,
    details: str = "",
    attachments: Iterable[Attachment] = (),
) -> list[OutgoingMail]:
    """Queue one plain-text e-mail of `kind` per recipient (see `recipients`): a greeting,
    `message`, optional `details`, the `link` (a path of this site or an absolute URL) and how
    to switch the kind off. Subject and text are in Indonesian, the system's first language,
    whatever language the acting user reads; callers pass strings built under
    `translation.override(settings.LANGUAGE_CODE)` (see `in_mail_language`). Returns the rows.
    Many notices at once: `notify_all`."""
    notice = Notice(
        list(users), kind, subject, message, link, details, attachments=tuple(attachments)
    )
    return notify_all([notice])


def in_mail_language():
    """A context to build a mail's subject and text in: the system's first language."""
    return translation.override(settings.LANGUAGE_CODE)


def _message(mail: OutgoingMail) -> EmailMessage:
    message = EmailMessage(mail.subject, mail.body, settings.DEFAULT_FROM_EMAIL, [mail.to])
    for part in mail.attachments:
        subtype = part["mimetype"].split("/", 1)[1]
        # Base64 keeps an .ics's CRLF line ends intact.
        mime = MIMEText(part["content"], subtype, "utf-8")
        for name, value in part.get("params", {}).items():
            mime.set_param(name, value)
        mime.add_header("Content-Disposition", "attachment", filename=part["filename"])
        message.attach(mime)
    return message


def _claim_next(now: datetime) -> OutgoingMail | None:
    return (
        OutgoingMail.objects.select_for_update(skip_locked=True)
        .filter(state=OutgoingMail.State.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .first()
    )


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0  # attempts that failed in this run (the row is retried later or gives up)


def deliver_outbox(*, limit: int = 500, now: datetime | None = None) -> DeliveryResult:
    """Send up to `limit` due messages, each in its own transaction that holds the row's lock
    while it is handed to the mail server. A failure counts an attempt, records the error and
    sets the next attempt after `retry_delay`; the row becomes `failed` after MAX_ATTEMPTS.
    The first failure to connect ends the run (the server is down: later rows would fail too)."""
    result = DeliveryResult()
    connection = get_connection()
    try:
        for _ in range(limit):
            moment = now or timezone.now()
            with transaction.atomic():
                mail = _claim_next(moment)
                if mail is None:
                    break
                try:
                    connection.send_messages([_message(mail)])
                except Exception as error:  # any failure of the server or the network
                    mail.attempts += 1
                    mail.last_error = f"{type(error).__name__}: {error}"[:2000]
                    if mail.attempts >= MAX_ATTEMPTS:
                        mail.state = OutgoingMail.State.FAILED
                    mail.next_attempt_at = moment + retry_delay(mail.attempts)
                    mail.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])
                    result.failed += 1
                    logger.warning("mail %s to %s failed: %s", mail.pk, mail.to, mail.last_error)
                    connection.close()
                    break
                mail.attempts += 1
                mail.state, mail.sent_at, mail.last_error = OutgoingMail.State.SENT, moment, ""
                mail.save(update_fields=["attempts", "state", "sent_at", "last_error"])
                result.sent += 1
    finally:
        connection.close()
    return result


class OutboxBackend(BaseEmailBackend):
    """An e-mail backend that puts each message into the outbox, one row per recipient,
    instead of talking to the mail server: the error reports to ADMINS (Django's
    AdminEmailHandler, settings.LOGGING) go out by the same worker, retries and log as every
    other mail, and a slow mail server never holds up the failing request.

    The exception: when the row cannot be written on its own — the database is what failed,
    or the caller is inside a transaction that may yet roll back (and take the report with
    it) — the message is handed to EMAIL_BACKEND directly, at most one such message per
    DIRECT_INTERVAL seconds per process, so an outage of the database does not send a mail
    for every request that fails with it. Plain text only: the outbox keeps no HTML part."""

    DIRECT_INTERVAL = 60.0
    _direct_lock = threading.Lock()
    _last_direct = -DIRECT_INTERVAL

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        messages = [m for m in email_messages if m.recipients()]
        if not messages:
            return 0
        if not transaction.get_connection().in_atomic_block:
            try:
                with transaction.atomic():
                    for message in messages:
                        for address in message.recipients():
                            queue_mail(
                                address, subject=message.subject, body=message.body, kind="error"
                            )
                return len(messages)
            except DatabaseError:
                logger.warning("the outbox is unreachable: sending the error report directly")
        return self._send_directly(messages)

    def _send_directly(self, messages: list[EmailMessage]) -> int:
        with self._direct_lock:
            now = time.monotonic()
            if now - OutboxBackend._last_direct < self.DIRECT_INTERVAL:
                return 0
            OutboxBackend._last_direct = now
        connection = get_connection(settings.EMAIL_BACKEND, fail_silently=self.fail_silently)
        return connection.send_messages(messages) or 0
