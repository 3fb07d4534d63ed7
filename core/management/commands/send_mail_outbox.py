from django.core.management.base import BaseCommand

from core.mail import deliver_outbox


class Command(BaseCommand):
    help = (
        "Deliver the queued e-mails that are due (retrying failed ones with a growing delay). "
        "Run every minute by cron or a systemd timer; safe on every app server at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="most messages in one run")

    def handle(self, *args, limit: int, **options):
        result = deliver_outbox(limit=limit)
        if options["verbosity"]:
            self.stdout.write(f"sent {result.sent}, failed {result.failed}")
