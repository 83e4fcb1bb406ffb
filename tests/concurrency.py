"""Races, run for real: each call in its own thread and database connection, all
released at the same moment (the tests that use this are marked ``postgres``)."""

import threading
import time

from django.db import close_old_connections, connection


def at_once(*calls, timeout: float = 60) -> list:
    """Run the ``calls`` concurrently; return what each returned or raised, in the
    order they finished. A call that did not finish within ``timeout`` is missing."""
    barrier = threading.Barrier(len(calls))
    outcomes = []

    def run(call):
        try:
            barrier.wait()
            outcomes.append(call())
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            outcomes.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return outcomes


def until_another_waits_on_a_lock(timeout: float = 10) -> None:
    """Return once some transaction waits on a lock (PostgreSQL's ``pg_locks``), or
    after ``timeout``: the caller holds its locks until the other one is blocked."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.05)
