from django.core.management.base import BaseCommand

from monitoring.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "Queue today's deadline reminders, escalations of overdue work and the weekly digests "
        "(each once, however often and on however many servers it runs). Run daily."
    )

    def handle(self, *args, **options):
        run = send_reminders()
        if options["verbosity"]:
            self.stdout.write(
                f"reminders {run.reminders}, escalations {run.escalations}, "
                f"digests {run.digests}, mails {run.mails}, already sent {run.skipped}"
            )
