"""H6: the help centre: published articles in Indonesian and English, searchable,
drafts hidden, seeded from the policy, and linked where customers get stuck."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from help.models import Article, Topic
from help.seed import load_articles
from tests.factories import ArticleFactory, ServiceFactory

INDEX = reverse("help:index")


def test_h6_the_list_shows_published_articles_grouped_by_topic(client, db):
    ArticleFactory(topic=Topic.PAYMENT, title_id="Cara membayar")
    ArticleFactory(topic=Topic.ORDER, title_id="Cara memesan")
    ArticleFactory(title_id="Konsep rahasia", is_published=False)
    response = client.get(INDEX)
    page = response.content.decode()
    assert "Cara membayar" in page and "Cara memesan" in page
    assert "Konsep rahasia" not in page
    assert [topic for topic, _items in response.context["groups"]] == [
        Topic.ORDER,
        Topic.PAYMENT,
    ]


def test_h6_a_draft_is_a_404_for_customers_and_visitors_but_staff_can_preview(
    client, customer_client, staff_client, db
):
    draft = ArticleFactory(is_published=False)
    url = reverse("help:article", args=[draft.slug])
    assert client.get(url).status_code == 404
    assert customer_client.get(url).status_code == 404
    preview = staff_client.get(url)
    assert preview.status_code == 200
    assert draft.title_id in preview.content.decode()
    assert preview.context["article"].is_published is False


def test_h6_an_unknown_article_is_a_404(client, db):
    assert client.get(reverse("help:article", args=["tidak-ada"])).status_code == 404


def test_h6_search_finds_words_in_either_language_and_topic_narrows(client, db):
    warranty = ArticleFactory(
        topic=Topic.SUPPORT, title_id="Masa garansi", body_en="The warranty period explained."
    )
    ArticleFactory(topic=Topic.PAYMENT, title_id="Kode unik", body_en="The unique code.")
    ArticleFactory(title_id="Garansi konsep", is_published=False)
    assert list(client.get(f"{INDEX}?q=garansi").context["articles"]) == [warranty]
    assert list(client.get(f"{INDEX}?q=WARRANTY explained").context["articles"]) == [warranty]
    assert list(client.get(f"{INDEX}?q=warranty&topic=payment").context["articles"]) == []
    assert len(client.get(f"{INDEX}?topic=bogus").context["articles"]) == 2


def test_h6_articles_follow_the_chosen_language(db):
    article = ArticleFactory(title_id="Cara membayar", title_en="How to pay", body_en="")
    client = Client()
    url = reverse("help:article", args=[article.slug])
    assert "Cara membayar" in client.get(url, HTTP_ACCEPT_LANGUAGE="id").content.decode()
    client.cookies["django_language"] = "en"
    page = client.get(url).content.decode()
    assert "How to pay" in page
    assert article.body_id in page  # no English text yet: the Indonesian one is shown


def test_h6_html_in_an_article_is_shown_as_typed(client, db):
    article = ArticleFactory(body_id="<script>alert(1)</script>\n\nParagraf kedua.")
    page = client.get(reverse("help:article", args=[article.slug])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page and "<p>Paragraf kedua.</p>" in page


def test_h6_the_seed_builds_real_articles_from_the_policy_once(db):
    load_articles()
    load_articles()
    slugs = set(Article.objects.values_list("slug", flat=True))
    assert {
        "cara-memesan-layanan",
        "cara-membayar-dan-konfirmasi",
        "mengapa-30-hari",
        "cara-membuka-tiket-yang-baik",
        "hak-dan-kewajiban-pelanggan",
    } <= slugs
    assert Article.objects.count() == len(slugs)
    rights = Article.objects.get(slug="hak-dan-kewajiban-pelanggan")
    assert "KEWAJIBAN PELANGGAN" in rights.body_id and "CUSTOMER RIGHTS" in rights.body_en
    assert "30 hari" in Article.objects.get(slug="mengapa-30-hari").body_id
    assert all(a.is_published and a.body_id and a.body_en for a in Article.objects.all())
    with translation.override("en"):
        assert Article.objects.get(slug="mengapa-30-hari").title == "Why 30 days' notice?"


def test_h6_a_staff_edit_survives_the_next_seed(db):
    load_articles()
    Article.objects.filter(slug="mengapa-30-hari").update(title_id="Diubah staf")
    load_articles()
    assert Article.objects.get(slug="mengapa-30-hari").title_id == "Diubah staf"


@pytest.mark.parametrize(
    ("name", "args", "topic"),
    [
        ("tickets:new", [], "support"),
        ("tickets:create", ["billing"], "support"),
    ],
)
def test_h6_the_ticket_pages_link_to_help(customer_client, name, args, topic):
    page = customer_client.get(reverse(name, args=args)).content.decode()
    assert f'href="{INDEX}?topic={topic}"' in page


def test_h6_checkout_links_to_help(customer_client):
    page = customer_client.get(reverse("orders:checkout")).content.decode()
    assert f'href="{INDEX}?topic=order"' in page


def test_h6_payment_confirmation_links_to_help(place, customer_client):
    invoice = place()
    page = customer_client.get(reverse("invoices:confirm", args=[invoice.pk])).content.decode()
    assert f'href="{INDEX}?topic=payment"' in page


def test_h6_a_deadline_refusal_links_to_help(customer_client, contact):
    """H6, K4: the real refusal of a late deferral links the help article on the
    30-day rule (``mengapa-30-hari``), not the help index."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    import time_machine

    service = ServiceFactory(
        customer=contact.customer,
        period_anchor=date(2026, 11, 1),
        invoice_anchor=date(2026, 10, 18),
    )
    late = datetime(2026, 11, 19, 10, tzinfo=ZoneInfo("Asia/Jakarta"))
    with time_machine.travel(late, tick=False):
        html = customer_client.post(
            reverse("policy:deferral", args=[service.pk]),
            {"reason": "Our client pays us late this quarter.", "proposed_due_date": "2027-01-20"},
        ).content.decode()
    assert 'data-testid="too-late"' in html
    assert f'href="{reverse("help:article", args=["mengapa-30-hari"])}"' in html
