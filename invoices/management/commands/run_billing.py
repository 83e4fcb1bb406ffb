"""Run one billing job once, by hand: what beat runs on its schedule."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from invoices import jobs

JOBS = {
    "invoices": jobs.issue_recurring_invoices,
    "reminders": jobs.sweep_reminders,
    "overdue": jobs.handle_overdue,
}


class Command(BaseCommand):
    help = "Run a billing job once: recurring invoices, reminders or overdue handling."

    def add_arguments(self, parser):
        parser.add_argument("--job", required=True, choices=sorted(JOBS))
        parser.add_argument("--date", help="Run as if today were YYYY-MM-DD (WIB).")
        parser.add_argument("--dry-run", action="store_true", help="Print, change nothing.")

    def handle(self, *args, job, date=None, dry_run=False, **options):
        day = None
        if date:
            try:
                day = _parse(date)
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, not {date!r}") from exc
        result = JOBS[job](today=day, dry_run=dry_run)
        self.stdout.write(str(result))


def _parse(value: str) -> date:
    return date.fromisoformat(value)
