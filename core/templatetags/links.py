"""``{% cached_url %}``: ``{% url %}`` for the links a page repeats, without reversing
each of them on every page.

Reversing a URL costs about as much as rendering the rest of a table row, and a page
repeats its links: the frame (``base.html``) has fourteen, a list one per row.

- ``{% cached_url "invoices:list" %}``, ``{% cached_url "invoices:list" as url %}``: a
  link without arguments is reversed once per URLconf, script prefix, current app and
  language.
- ``{% cached_url "invoices:detail" invoice.pk %}``: a link with one argument is
  reversed once with a stand-in argument and split around it; each row puts its own
  value in the stand-in's place. Only a value of the kind the stand-in vouches for:
  digits where the digits stand-in was accepted, ASCII letters, digits, ``-`` and ``_``
  where the stand-in made of those was too (Django's ``int``, ``str``, ``slug`` and
  ``path`` converters accept every such value, and URL quoting leaves it as it is).
  Any other value is reversed on its own, as ``{% url %}`` does. ``row_urls`` does the
  same for rows built in Python.

As with ``{% url %}``, a name that cannot be reversed raises ``NoReverseMatch``, or
gives ``""`` after ``as``.
"""

import re
from collections.abc import Callable
from functools import lru_cache

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()

DIGITS_STAND_IN = "4093857261"
TEXT_STAND_IN = "Az_-" + DIGITS_STAND_IN
DIGITS = re.compile(r"[0-9]+")
TEXT = re.compile(r"[-A-Za-z0-9_]+")


# ``reverse`` reads the script prefix and the language itself; they are arguments of the
# two functions below so that each value has its own entry.


@lru_cache(maxsize=1024)
def _reverse(view_name: str, urlconf: str, script_prefix: str, current_app, language) -> str:
    return reverse(view_name, urlconf=urlconf, current_app=current_app)


@lru_cache(maxsize=1024)
def _around(view_name: str, urlconf: str, script_prefix: str, current_app, language):
    """``(before, after, any_text)``: the URL with one argument is ``before + argument +
    after`` for digits, and for letters, digits, ``-`` and ``_`` too when ``any_text``;
    None when the digits stand-in cannot be put in and found again."""
    try:
        url = reverse(view_name, args=[DIGITS_STAND_IN], urlconf=urlconf, current_app=current_app)
    except NoReverseMatch:
        return None
    if url.count(DIGITS_STAND_IN) != 1:
        return None
    before, after = url.split(DIGITS_STAND_IN)
    try:
        text_url = reverse(
            view_name, args=[TEXT_STAND_IN], urlconf=urlconf, current_app=current_app
        )
    except NoReverseMatch:
        text_url = None
    return before, after, text_url == before + TEXT_STAND_IN + after


def depends_on(context) -> tuple:
    """What a reversed URL depends on: URLconf, script prefix, current app (found as
    ``{% url %}`` finds it) and language."""
    try:
        current_app = context.request.current_app
    except AttributeError:
        try:
            current_app = context.request.resolver_match.namespace
        except AttributeError:
            current_app = None
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return urlconf, get_script_prefix(), current_app, get_language()


def row_urls(view_name: str, context) -> Callable[[object], str]:
    """``reverse(view_name, args=[value])`` for each row of a list rendered in
    ``context``: reversed once, with the stand-in, for all of them."""
    urlconf, script_prefix, current_app, language = depends_on(context)
    around = _around(view_name, urlconf, script_prefix, current_app, language)

    def url(value) -> str:
        text = str(value)
        if around is not None:
            before, after, any_text = around
            if DIGITS.fullmatch(text) or (any_text and TEXT.fullmatch(text)):
                return before + text + after
        return reverse(view_name, args=[value], urlconf=urlconf, current_app=current_app)

    return url


@receiver(setting_changed)
def _forget_urls(**kwargs):
    """A setting changed (in a test): the URLs may differ."""
    _reverse.cache_clear()
    _around.cache_clear()


class CachedURLNode(template.Node):
    def __init__(self, view_name: str, arg, asvar: str | None):
        self.view_name = view_name
        self.arg = arg
        self.asvar = asvar

    def render(self, context):
        try:
            url = self.url(context)
        except NoReverseMatch:
            if self.asvar is None:
                raise
            url = ""
        if self.asvar is not None:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url

    def url(self, context) -> str:
        if self.arg is None:
            return _reverse(self.view_name, *depends_on(context))
        # Once a page (a list renders the tag on every row).
        try:
            url = context.render_context[self]
        except KeyError:
            url = context.render_context[self] = row_urls(self.view_name, context)
        return url(self.arg.resolve(context))


@register.tag
def cached_url(parser, token):
    """``{% cached_url "name" [argument] [as variable] %}``; the name is a quoted string."""
    bits = token.split_contents()
    asvar = None
    if len(bits) >= 4 and bits[-2] == "as":
        asvar = bits[-1]
        bits = bits[:-2]
    if len(bits) not in (2, 3):
        raise template.TemplateSyntaxError(
            f"{bits[0]} takes a quoted URL name, at most one argument and 'as <variable>'"
        )
    name = bits[1]
    if len(name) < 2 or name[0] != name[-1] or name[0] not in "'\"":
        raise template.TemplateSyntaxError(f"{bits[0]} takes a quoted URL name, not {name}")
    arg = parser.compile_filter(bits[2]) if len(bits) == 3 else None
    return CachedURLNode(name[1:-1], arg, asvar)
