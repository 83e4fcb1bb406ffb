"""H6: staff write and publish help articles; every change is kept in the history."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from help.models import Article


@admin.register(Article)
class ArticleAdmin(SimpleHistoryAdmin):
    list_display = ["title_id", "title_en", "topic", "position", "is_published", "updated_at"]
    list_filter = ["topic", "is_published"]
    list_editable = ["position", "is_published"]
    search_fields = ["title_id", "title_en", "body_id", "body_en"]
    prepopulated_fields = {"slug": ["title_id"]}
    fields = [
        "topic",
        "title_id",
        "title_en",
        "slug",
        "summary_id",
        "summary_en",
        "body_id",
        "body_en",
        "position",
        "is_published",
    ]
