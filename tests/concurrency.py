"""Races, run for real: each call in its own thread and database connection, all
released at the same moment (the tests that use this are marked ``postgres``)."""

import threading

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
