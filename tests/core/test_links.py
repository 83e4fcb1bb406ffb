"""``{% cached_url %}`` (core.templatetags.links) gives what ``{% url %}`` gives."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.urls import NoReverseMatch, set_script_prefix


def render(source: str, **context) -> str:
    return Template("{% load links %}" + source).render(Context(context))


def both(name: str, *arg: str, **context) -> tuple[str, str]:
    tail = f" {arg[0]}" if arg else ""
    return (
        render(f"{{% cached_url {name}{tail} %}}", **context),
        render(f"{{% url {name}{tail} %}}", **context),
    )


@pytest.fixture
def prefix():
    yield set_script_prefix
    set_script_prefix("/")


@pytest.mark.parametrize("name", ["'home'", "'invoices:list'", '"tickets:new"', "'admin:index'"])
def test_a_link_without_arguments(name):
    ours, djangos = both(name)
    assert ours == djangos


@pytest.mark.parametrize("pk", [1, 42, 10**12, "7"])
def test_a_row_link_by_number(pk):
    ours, djangos = both("'invoices:detail'", "pk", pk=pk)
    assert ours == djangos
    assert ours == f"/invoices/{pk}/"


@pytest.mark.parametrize(
    "number", ["TKT-2026-000123", "TKT_1", "42", "a b", "tiket-ü", "&<>", "100%", "-"]
)
def test_a_row_link_by_text_is_quoted_and_escaped_as_url_does_it(number):
    ours, djangos = both("'tickets:detail'", "number", number=number)
    assert ours == djangos


@pytest.mark.parametrize(
    ("name", "value"),
    [("'invoices:detail'", "abc"), ("'invoices:detail'", -1), ("'tickets:detail'", "a/b")],
)
def test_a_value_the_url_refuses_is_refused(name, value):
    for tag in ("cached_url", "url"):
        with pytest.raises(NoReverseMatch):
            render(f"{{% {tag} {name} value %}}", value=value)


def test_every_row_gets_its_own_link():
    rows = render(
        "{% for pk in pks %}{% cached_url 'invoices:detail' pk %} {% endfor %}",
        pks=[3, 20, 111],
    )
    assert rows == "/invoices/3/ /invoices/20/ /invoices/111/ "


def test_the_script_prefix_is_part_of_every_link(prefix):
    prefix("/portal/")
    assert both("'invoices:list'") == ("/portal/invoices/", "/portal/invoices/")
    assert both("'invoices:detail'", "pk", pk=5) == ("/portal/invoices/5/",) * 2
    prefix("/")
    assert both("'invoices:list'") == ("/invoices/", "/invoices/")
    assert both("'invoices:detail'", "pk", pk=5) == ("/invoices/5/",) * 2


def test_as_a_variable_and_a_missing_name():
    assert render("{% cached_url 'tickets:list' as url %}[{{ url }}]") == "[/tickets/]"
    assert render("{% cached_url 'no-such-page' as url %}[{{ url }}]") == "[]"
    assert render("{% cached_url 'invoices:detail' pk as url %}[{{ url }}]", pk=9) == (
        "[/invoices/9/]"
    )
    with pytest.raises(NoReverseMatch):
        render("{% cached_url 'no-such-page' %}")


@pytest.mark.parametrize(
    "source",
    [
        "{% cached_url %}",
        "{% cached_url home %}",
        "{% cached_url 'invoices:detail' a b %}",
        "{% cached_url 'home' as url extra %}",
    ],
)
def test_what_the_tag_does_not_take(source):
    with pytest.raises(TemplateSyntaxError):
        render(source)
