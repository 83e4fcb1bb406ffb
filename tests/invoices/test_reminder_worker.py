"""Reminders exactly once, end to end: real Celery workers on the machine's Redis send
through a real SMTP server (aiosmtpd, in a thread), and each test counts what that
server accepted.

The sweep runs as ``manage.py run_billing --job reminders`` and the workers as
``celery -A masternet worker``, each a separate process on pytest's test database
(the tests commit their rows: ``transaction=True``) with a Redis database of its own
(REDIS_URL's, emptied first; the next ones under pytest-xdist, never db 5, which
benchmarks/load.py uses). Shown here: a due reminder arrives once; a worker killed
(SIGKILL) in the middle of sending leaves the message unacknowledged, a new worker takes
it back and the reminder is delivered once; an SMTP server that is down is retried until
it is back; two sweeps at once send nothing twice. The limit of "once": a worker killed
after the server's "250" and before it marked the reminder sent delivers it again, with
the same Message-ID.
"""

import asyncio
import importlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path
from urllib.parse import quote, urlparse

import psycopg
import pytest
import redis
from aiosmtpd.controller import Controller
from django.db import connection

from customers.selectors import responsible_contact
from invoices.models import Reminder, ReminderKind
from tests.conftest import redis_url

ROOT = Path(__file__).resolve().parents[2]
LOAD_BENCHMARK_DB = 5  # benchmarks/load.py's cache: never emptied here


def broker_db(url: str) -> int:
    """A Redis database of its own: REDIS_URL's, and the next ones for the other
    pytest-xdist workers (gw1, gw2, ...), as the test database is; never db 5."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    base = int(urlparse(url).path.lstrip("/") or 0)
    return [db for db in range(base, base + worker + 2) if db != LOAD_BENCHMARK_DB][worker]


VISIBILITY_TIMEOUT = 2  # seconds, for the test that kills a worker
WAIT = 60  # seconds at most for anything the workers do

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


# --- An SMTP server that remembers what it accepted --------------------------------


class Mailbox:
    """The aiosmtpd handler: keeps each message it answered "250" to. With
    ``hold_first`` the first message is held after its DATA until ``release`` is set;
    if the client goes away meanwhile it never heard "250": nothing was delivered."""

    def __init__(self, *, hold_first: bool = False):
        self.messages = []
        self.aborted = 0
        self.holding = threading.Event()
        self.release = threading.Event()
        self._hold = hold_first

    async def handle_DATA(self, server, session, envelope):
        if self._hold:
            self._hold = False
            self.holding.set()
            try:
                while not self.release.is_set():
                    await asyncio.sleep(0.05)
            except asyncio.CancelledError:  # aiosmtpd cancels us when the client is gone
                self.aborted += 1
                raise
        self.messages.append(message_from_bytes(envelope.content, policy=email_policy.default))
        return "250 Message accepted for delivery"

    def count(self, invoice_number: str) -> int:
        return sum(invoice_number in message["Subject"] for message in self.messages)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- Worker and sweep processes ----------------------------------------------------


class Worker:
    """``celery -A masternet worker`` in its own process; its log is collected."""

    def __init__(self, env: dict, name: str, pool: str = "solo"):
        self.name = name
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "masternet", "worker", f"--pool={pool}",
             "--concurrency=1", "--loglevel=INFO", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "-n", f"{name}@%h"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.lines = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def received(self) -> int:
        """How many send_reminders tasks this worker took from the broker."""
        return sum("invoices.send_reminders[" in line and "received" in line for line in self.lines)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Warm shutdown (messages it did not start go back to the broker)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class Services:
    """What one test starts: SMTP servers, workers, sweeps; all stopped at teardown."""

    def __init__(self, tmp_path: Path):
        db = connection.settings_dict
        password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
        self.database_url = (
            f"postgres://{quote(db['USER'] or 'postgres')}{password}"
            f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
        url = redis_url()
        self.broker_url = urlparse(url)._replace(path=f"/{broker_db(url)}").geturl()
        self.broker = redis.Redis.from_url(self.broker_url)
        self.broker.flushdb()
        self.smtp_port = free_port()
        self.tmp_path = tmp_path
        self.controllers, self.workers = [], []

    def env(self, *, visibility_timeout: int = 3600) -> dict:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "masternet.settings.local",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_VISIBILITY_TIMEOUT": str(visibility_timeout),
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp_port}",
            "PRIVATE_MEDIA_ROOT": str(self.tmp_path / "private"),
            "LOG_LEVEL": "INFO",
        }
        for name in ("CACHE_URL", "CELERY_RESULT_BACKEND", "CELERY_BROKER_DIR"):
            env.pop(name, None)
        return env

    def start_smtp(self, *, hold_first: bool = False) -> Mailbox:
        mailbox = Mailbox(hold_first=hold_first)
        controller = Controller(mailbox, hostname="127.0.0.1", port=self.smtp_port)
        controller.start()
        self.controllers.append(controller)
        return mailbox

    def worker(self, name: str, **options) -> Worker:
        pool = options.pop("pool", "solo")
        worker = Worker(self.env(**options), name, pool=pool)
        self.workers.append(worker)
        return worker

    def sweep(self, day, **options) -> subprocess.Popen:
        """``manage.py run_billing --job reminders --date day``, started, not awaited."""
        return subprocess.Popen(
            [sys.executable, "manage.py", "run_billing", "--job", "reminders",
             "--date", day.isoformat()],
            cwd=ROOT, env=self.env(**options), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    def run_sweep(self, day, **options) -> str:
        process = self.sweep(day, **options)
        output, _ = process.communicate(timeout=WAIT)
        assert process.returncode == 0, output
        return output

    def waiting_in_broker(self) -> int:
        """Messages still queued or taken but unacknowledged."""
        return self.broker.llen("celery") + self.broker.hlen("unacked")

    def eventually(self, check, what: str, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            time.sleep(0.1)
        logs = "\n".join(f"--- worker {w.name} ---\n{w.log}" for w in self.workers)
        pytest.fail(f"timed out after {timeout} s waiting for {what}\n{logs}")

    def close(self) -> None:
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.kill()
        for controller in self.controllers:
            controller.stop()
        self.broker.flushdb()
        self.broker.close()


@pytest.fixture
def services(transactional_db, tmp_path):
    started = Services(tmp_path)
    yield started
    started.close()


@pytest.fixture
def reminder_kinds(transactional_db):
    """The default schedule (a transactional test before this one flushed the rows
    that the data migration made)."""
    migration = importlib.import_module("invoices.migrations.0005_default_reminder_kinds")
    for code, name, offset in migration.DEFAULTS:
        ReminderKind.objects.get_or_create(
            code=code, defaults={"name": name, "offset_days": offset}
        )


def week_before(invoice):
    """The day on which only the "7 days before" reminder of ``invoice`` is due."""
    return invoice.due_date - timedelta(days=7)


def sent(invoice) -> bool:
    return Reminder.objects.filter(invoice=invoice, status=Reminder.Status.SENT).exists()


# --- The tests ---------------------------------------------------------------------


def test_a_due_reminder_arrives_once(place, reminder_kinds, services):
    invoice = place()
    mailbox = services.start_smtp()
    worker = services.worker("w1")
    assert "did 1" in services.run_sweep(week_before(invoice))
    services.eventually(lambda: sent(invoice), "the reminder to be sent")

    assert "did 0" in services.run_sweep(week_before(invoice))  # nothing new the second time
    worker.stop()
    assert worker.received() == 1 and services.waiting_in_broker() == 0, worker.log
    reminder = Reminder.objects.get(invoice=invoice)
    assert (reminder.kind.code, reminder.attempts, reminder.last_error) == ("7-days-before", 1, "")
    assert reminder.sent_at is not None
    assert mailbox.count(invoice.number) == 1 and len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert message["To"] == responsible_contact(customer=invoice.customer).user.email
    pdf = next(message.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content().startswith(b"%PDF")


def test_a_worker_killed_while_sending_delivers_once_after_restart(place, reminder_kinds, services):
    invoice = place()
    mailbox = services.start_smtp(hold_first=True)
    first = services.worker("w1", visibility_timeout=VISIBILITY_TIMEOUT)
    services.run_sweep(week_before(invoice))
    assert mailbox.holding.wait(WAIT), first.log  # the worker is in the middle of DATA
    reminder = Reminder.objects.get(invoice=invoice)
    assert (reminder.status, reminder.attempts) == (Reminder.Status.SENDING, 1)

    first.kill()
    killed_at = time.monotonic()
    mailbox.release.set()
    services.eventually(lambda: mailbox.aborted == 1, "the SMTP server to see the client go")
    assert mailbox.messages == []  # the killed worker never heard "250": not delivered
    assert services.broker.hlen("unacked") == 1  # acks_late: Redis still holds the message
    # Redis hands the message on once the visibility timeout has passed; a new worker
    # restores such messages when it starts.
    time.sleep(max(0.0, VISIBILITY_TIMEOUT + 0.5 - (time.monotonic() - killed_at)))
    second = services.worker("w2", visibility_timeout=VISIBILITY_TIMEOUT)
    services.eventually(lambda: sent(invoice), "the new worker to send the reminder")

    second.stop()
    reminder.refresh_from_db()
    assert reminder.attempts == 2  # claimed by the killed worker, then taken back
    assert f"send_reminders[{reminder.claimed_by}] received" in second.log  # same task id
    assert mailbox.count(invoice.number) == 1 and len(mailbox.messages) == 1
    assert services.waiting_in_broker() == 0


def test_a_pool_process_killed_while_sending_is_requeued_and_delivered_once(
    place, reminder_kinds, services
):
    """reject_on_worker_lost: when the prefork pool's child dies, its parent puts the
    message back at once (no visibility timeout needed) and a new child sends it."""
    invoice = place()
    mailbox = services.start_smtp(hold_first=True)
    worker = services.worker("w1", pool="prefork")
    services.run_sweep(week_before(invoice))
    assert mailbox.holding.wait(WAIT), worker.log
    children = Path(f"/proc/{worker.process.pid}/task/{worker.process.pid}/children")
    (child,) = children.read_text().split()
    os.kill(int(child), signal.SIGKILL)
    # Released only once the server has seen the client go: released sooner, the held
    # message would be accepted ("250" to a dead socket) before the cancellation came.
    services.eventually(lambda: mailbox.aborted == 1, "the SMTP server to see the client gone")
    mailbox.release.set()
    services.eventually(lambda: sent(invoice), "a new pool process to send the reminder")

    worker.stop()
    assert "WorkerLostError" in worker.log
    assert Reminder.objects.get(invoice=invoice).attempts == 2
    assert mailbox.aborted == 1
    assert mailbox.count(invoice.number) == 1 and len(mailbox.messages) == 1


def test_smtp_down_is_retried_then_delivered_once(place, reminder_kinds, services):
    invoice = place()
    worker = services.worker("w1")  # nothing listens on the SMTP port yet
    services.run_sweep(week_before(invoice))
    services.eventually(
        lambda: "refused" in Reminder.objects.get(invoice=invoice).last_error,
        "the first attempt to fail",
    )
    reminder = Reminder.objects.get(invoice=invoice)
    assert (reminder.status, reminder.attempts) == (Reminder.Status.SENDING, 1)

    mailbox = services.start_smtp()  # the server is back before the retry (5 s later)
    services.eventually(lambda: sent(invoice), "the retry to send the reminder")
    worker.stop()
    assert "Retry in 5s" in worker.log
    reminder.refresh_from_db()
    assert (reminder.attempts, reminder.last_error) == (2, "")
    assert mailbox.count(invoice.number) == 1 and len(mailbox.messages) == 1


def test_two_sweeps_at_once_send_nothing_twice(place, reminder_kinds, services):
    invoices = [place() for _ in range(4)]
    mailbox = services.start_smtp()
    workers = [services.worker("w1"), services.worker("w2")]
    sweeps = [services.sweep(week_before(invoices[0])) for _ in range(2)]
    for sweep in sweeps:
        output, _ = sweep.communicate(timeout=WAIT)
        assert sweep.returncode == 0, output
    for invoice in invoices:
        services.eventually(lambda invoice=invoice: sent(invoice), f"{invoice} to be sent")

    for worker in workers:
        worker.stop()
    assert services.waiting_in_broker() == 0
    assert Reminder.objects.count() == len(invoices)  # one row per invoice and kind
    assert set(Reminder.objects.values_list("attempts", flat=True)) == {1}  # claimed once
    assert [mailbox.count(invoice.number) for invoice in invoices] == [1, 1, 1, 1]
    assert len(mailbox.messages) == len(invoices)


def test_a_worker_killed_after_the_server_accepted_sends_it_again_with_the_same_message_id(
    place, reminder_kinds, services
):
    """At most once up to the SMTP server's acceptance, not beyond: the worker dies after
    the server's "250" but before the reminder is marked sent (its UPDATE is held back by
    a row lock here, then dies with it). Redelivered, the reminder goes out again, with
    the Message-ID of the first copy, so the receiving side can drop it."""
    invoice = place()
    mailbox = services.start_smtp(hold_first=True)
    first = services.worker("w1", visibility_timeout=VISIBILITY_TIMEOUT)
    services.run_sweep(week_before(invoice))
    assert mailbox.holding.wait(WAIT), first.log  # claimed, and in the middle of DATA
    reminder = Reminder.objects.get(invoice=invoice)
    with psycopg.connect(services.database_url) as holder:
        holder.execute("SELECT 1 FROM invoices_reminder WHERE id = %s FOR UPDATE", [reminder.pk])
        mailbox.release.set()  # the server answers "250"
        services.eventually(lambda: len(mailbox.messages) == 1, "the server to accept it")
        services.eventually(lambda: marking_sent(), "the worker to wait to mark it sent")
        first.kill()
        killed_at = time.monotonic()
        with connection.cursor() as cursor:  # its UPDATE must not commit once unblocked
            for pid in marking_sent():
                cursor.execute("SELECT pg_terminate_backend(%s, 10000)", [pid])
        holder.rollback()
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == (Reminder.Status.SENDING, 1)

    time.sleep(max(0.0, VISIBILITY_TIMEOUT + 0.5 - (time.monotonic() - killed_at)))
    second = services.worker("w2", visibility_timeout=VISIBILITY_TIMEOUT)
    services.eventually(lambda: sent(invoice), "the new worker to send the reminder")
    second.stop()
    assert mailbox.count(invoice.number) == 2  # delivered again: the limit of "once"
    assert {message["Message-ID"] for message in mailbox.messages} == {reminder.message_id}
    assert reminder.message_id == f"<reminder-{reminder.pk}@masternet.co.id>"
    assert services.waiting_in_broker() == 0


def marking_sent() -> list[int]:
    """The database sessions waiting on a row lock to update a reminder."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE 'UPDATE \"invoices_reminder\"%%'"
        )
        return [pid for (pid,) in cursor.fetchall()]
