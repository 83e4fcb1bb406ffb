"""H6: the help centre, public: a searchable list by topic and one page per article."""

from itertools import groupby

from django.views.generic import DetailView, ListView

from help import selectors
from help.models import Topic


class ArticleListView(ListView):
    template_name = "help/index.html"
    context_object_name = "articles"

    def get_queryset(self):
        self.query = self.request.GET.get("q", "").strip()[:100]
        topic = self.request.GET.get("topic", "")
        self.topic = topic if topic in Topic.values else ""
        return selectors.articles(query=self.query, topic=self.topic)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["query"] = self.query
        context["topic"] = Topic(self.topic) if self.topic else None
        context["topics"] = Topic.choices
        order = list(Topic.values)
        groups = groupby(context["articles"], key=lambda article: article.topic)
        context["groups"] = sorted(
            ((Topic(topic), list(items)) for topic, items in groups),
            key=lambda group: order.index(group[0]),
        )
        return context


class ArticleDetailView(DetailView):
    template_name = "help/article.html"
    context_object_name = "article"

    def get_object(self, queryset=None):
        return selectors.article_of(
            slug=self.kwargs["slug"], include_drafts=self.request.user.is_staff
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["related"] = selectors.related_to(self.object)
        return context
