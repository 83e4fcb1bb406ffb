"""core.pagination.CountingPaginator: Django's pages, from one query instead of two."""

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator

from core.pagination import CountingPaginator
from invoices.models import BankAccount


@pytest.fixture
def accounts(db):
    def make(rows):
        BankAccount.objects.bulk_create(
            BankAccount(bank=f"Bank {n}", account_number=str(n), holder="PT M", position=n)
            for n in range(rows)
        )
        return BankAccount.objects.order_by("position")

    return make


def shown(paginator, number):
    try:
        page = paginator.page(number)
    except (EmptyPage, PageNotAnInteger) as error:
        return type(error).__name__, str(error)
    return (
        [account.position for account in page],
        page.number,
        page.has_previous(),
        page.has_next(),
        page.start_index(),
        page.end_index(),
        paginator.count,
        paginator.num_pages,
    )


@pytest.mark.parametrize("rows", [0, 1, 19, 20, 21, 50])
@pytest.mark.parametrize("orphans", [0, 3])
@pytest.mark.parametrize("number", [1, 2, 3, 4, 0, -1, "2", "x", 2.0, 2.5, None])
def test_every_page_is_djangos(accounts, rows, orphans, number):
    objects = accounts(rows)
    ours = shown(CountingPaginator(objects, 20, orphans=orphans), number)
    assert ours == shown(Paginator(objects, 20, orphans=orphans), number)


def test_no_first_page_without_rows_when_that_is_asked_for(accounts):
    objects = accounts(0)
    ours = shown(CountingPaginator(objects, 20, allow_empty_first_page=False), 1)
    assert ours == shown(Paginator(objects, 20, allow_empty_first_page=False), 1)
    assert ours[0] == "EmptyPage"


def test_a_page_with_rows_costs_one_query(accounts, django_assert_num_queries):
    objects = accounts(50)
    paginator = CountingPaginator(objects, 20)
    with django_assert_num_queries(1):
        page = paginator.page(3)
        assert [account.position for account in page] == list(range(40, 50))
        assert (paginator.count, paginator.num_pages, page.has_next()) == (50, 3, False)


def test_a_page_past_the_end_is_counted_on_its_own(accounts, django_assert_num_queries):
    paginator = CountingPaginator(accounts(5), 20)
    with django_assert_num_queries(2), pytest.raises(EmptyPage):
        paginator.page(2)


def test_the_last_page_after_counting_and_a_list(accounts):
    objects = accounts(45)
    paginator = CountingPaginator(objects, 20)
    assert paginator.num_pages == 3
    assert [account.position for account in paginator.page(3)] == list(range(40, 45))
    listed = CountingPaginator(list(objects), 20)
    assert [account.position for account in listed.page(2)] == list(range(20, 40))


def test_a_distinct_query_is_counted_first(accounts, django_assert_num_queries):
    objects = accounts(30).distinct()
    paginator = CountingPaginator(objects, 20)
    with django_assert_num_queries(2):
        assert len(paginator.page(2)) == 10
