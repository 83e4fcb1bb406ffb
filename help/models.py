"""H6: help centre articles, in Indonesian and English, grouped by topic."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Topic(models.TextChoices):
    ORDER = "order", _("How to order")
    PAYMENT = "payment", _("Paying and confirming payments")
    SUPPORT = "support", _("Getting support")
    RIGHTS = "rights", _("Your rights and obligations")


class Article(models.Model):
    """H6: one help article. Only published articles are shown to customers."""

    topic = models.CharField(_("topic"), max_length=10, choices=Topic.choices)
    slug = models.SlugField(_("address"), max_length=80, unique=True)
    title_id = models.CharField(_("title (Indonesian)"), max_length=150)
    title_en = models.CharField(_("title (English)"), max_length=150)
    summary_id = models.CharField(_("summary (Indonesian)"), max_length=300, blank=True)
    summary_en = models.CharField(_("summary (English)"), max_length=300, blank=True)
    body_id = models.TextField(
        _("text (Indonesian)"),
        help_text=_("Plain text: a blank line starts a new paragraph. HTML is shown as typed."),
    )
    body_en = models.TextField(_("text (English)"), blank=True)
    is_published = models.BooleanField(
        _("published"), default=False, help_text=_("Drafts are visible to staff only.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")
        ordering = ["topic", "position", "pk"]
        indexes = [models.Index(fields=["is_published", "topic", "position"])]

    def __str__(self):
        return self.title_id

    def _pick(self, field: str) -> str:
        english = getattr(self, f"{field}_en")
        return english if get_language() == "en" and english else getattr(self, f"{field}_id")

    @property
    def title(self) -> str:
        return self._pick("title")

    @property
    def summary(self) -> str:
        return self._pick("summary")

    @property
    def body(self) -> str:
        return self._pick("body")
