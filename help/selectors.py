"""H6: the help centre's reads. Customers see published articles only."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from help.models import Article


def articles(*, query: str = "", topic: str = "") -> QuerySet[Article]:
    """Published articles, optionally of one topic and matching every word of
    ``query`` in the title, summary or text (either language)."""
    found = Article.objects.filter(is_published=True)
    if topic:
        found = found.filter(topic=topic)
    for word in query.split()[:8]:
        found = found.filter(
            Q(title_id__icontains=word)
            | Q(title_en__icontains=word)
            | Q(summary_id__icontains=word)
            | Q(summary_en__icontains=word)
            | Q(body_id__icontains=word)
            | Q(body_en__icontains=word)
        )
    return found.order_by("topic", "position", "pk")


def article_of(*, slug: str, include_drafts: bool = False) -> Article:
    """A published article; a draft is a 404 unless ``include_drafts`` (staff preview)."""
    found = Article.objects.all() if include_drafts else Article.objects.filter(is_published=True)
    return get_object_or_404(found, slug=slug)


def related_to(article: Article) -> QuerySet[Article]:
    return articles(topic=article.topic).exclude(pk=article.pk)
