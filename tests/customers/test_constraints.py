"""K7: exactly one responsible contact per customer, held by the database."""

import threading

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction

from customers import services
from customers.models import Contact, Role
from tests.factories import ContactFactory, UserFactory


def test_k7_database_refuses_a_second_responsible_contact(contact):
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(
            customer=contact.customer,
            user=UserFactory(),
            role=Role.RESPONSIBLE,
            full_name="Second",
        )


def test_k7_other_roles_are_unlimited(contact):
    for _ in range(3):
        ContactFactory(customer=contact.customer, role=Role.BILLING)
    assert contact.customer.contacts.count() == 4


def _race(workers):
    """Run each callable in its own thread and connection, released at the same time."""
    barrier = threading.Barrier(len(workers))
    outcomes = []

    def run(work):
        try:
            barrier.wait()
            outcomes.append(work())
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
            outcomes.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_k7_two_racing_inserts_leave_one_responsible_contact():
    customer = ContactFactory(role=Role.BILLING).customer
    users = [UserFactory(), UserFactory()]

    def insert(user):
        def work():
            with transaction.atomic():
                return Contact.objects.create(
                    customer=customer, user=user, role=Role.RESPONSIBLE, full_name=user.email
                )

        return work

    outcomes = _race([insert(user) for user in users])
    assert sum(isinstance(o, Contact) for o in outcomes) == 1
    assert sum(isinstance(o, IntegrityError) for o in outcomes) == 1
    assert customer.contacts.filter(role=Role.RESPONSIBLE).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_k7_two_racing_handovers_leave_one_responsible_contact():
    responsible = ContactFactory()
    customer = responsible.customer
    candidates = [ContactFactory(customer=customer, role=Role.BILLING) for _ in range(2)]

    def handover(target):
        return lambda: services.responsible_handover(
            customer=customer,
            to_contact=target,
            previous_role=Role.BILLING,
            actor=responsible.user,
        )

    outcomes = _race([handover(target) for target in candidates])
    assert customer.contacts.filter(role=Role.RESPONSIBLE).count() == 1
    # The first handover wins; the second finds its actor no longer responsible.
    assert sum(isinstance(o, Contact) for o in outcomes) == 1
