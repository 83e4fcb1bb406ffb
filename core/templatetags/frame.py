"""``{% frozen name=value ... %}…{% endfrozen %}``: a part of a page rendered once per
language, URL prefix (and current app) and the values named, instead of on every page.

For what every page repeats and nothing of the visitor changes: the main navigation
(``{% frozen authenticated=user.is_authenticated role=membership.role %}``: a billing
contact has no services link, a technical one no invoices link), the stylesheets, the
language buttons, a list's column headings and its pagination bar. The part is rendered
with the named values only (plain values: they are the key): ``user``, ``request``,
``csrf_token`` and the rest of the page's context are not there, so nothing of one
visitor can reach another's page. A part holds no ``{% block %}``.
"""

import weakref

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import token_kwargs

from core.templatetags.links import depends_on

register = template.Library()

KEPT = 256  # renderings kept per part, then forgotten: a pagination bar has many
_parts: "weakref.WeakSet[FrozenNode]" = weakref.WeakSet()


@receiver(setting_changed)
def _forget_renderings(**kwargs):
    """A setting changed (in a test): static files, URLs or translations may differ."""
    for part in list(_parts):
        part.rendered.clear()


class FrozenNode(template.Node):
    # A frozen part holds no {% block %}: ``{% extends %}``, which looks for the blocks
    # of the whole frame on every page, need not walk it.
    child_nodelists = ()

    def __init__(self, nodelist, values: dict):
        self.nodelist = nodelist
        self.values = values
        self.rendered: dict[tuple, str] = {}
        _parts.add(self)

    def render(self, context):
        values = {name: value.resolve(context) for name, value in self.values.items()}
        key = (*depends_on(context), *values.items())
        try:
            return self.rendered[key]
        except KeyError:
            pass
        rendered = self.nodelist.render(context.new(values))
        if len(self.rendered) >= KEPT:
            self.rendered.clear()
        self.rendered[key] = rendered
        return rendered


@register.tag
def frozen(parser, token):
    bits = token.split_contents()[1:]
    values = token_kwargs(bits, parser, support_legacy=False)
    if bits:
        raise template.TemplateSyntaxError("frozen takes name=value pairs only")
    nodelist = parser.parse(("endfrozen",))
    parser.delete_first_token()
    return FrozenNode(nodelist, values)
