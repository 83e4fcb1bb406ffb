"""``{% frozen %}`` (core.templatetags.frame): a part rendered once per language and the
values named, that sees nothing else of the page."""

from django.template import Context, Template
from django.test import RequestFactory, override_settings
from django.utils import translation

from core.templatetags.frame import FrozenNode

PART = Template(
    "{% load frame i18n %}{% frozen role=membership.role %}"
    "[{{ role }}|{{ user.email }}|{{ request.path }}|{% translate 'Invoices' %}|{{ seen }}]"
    "{% endfrozen %}"
)


class Membership:
    def __init__(self, role):
        self.role = role


def render(role="billing", seen="first", email="a@example.co.id"):
    request = RequestFactory().get("/invoices/")
    context = Context(
        {
            "membership": Membership(role),
            "seen": seen,
            "user": {"email": email},
            "request": request,
        }
    )
    return PART.render(context)


def test_the_part_sees_only_the_values_named():
    with translation.override("en"):
        assert render() == "[billing|||Invoices|]"


def test_kept_per_value_and_language():
    with translation.override("en"):
        assert render(role="technical", email="b@example.co.id") == "[technical|||Invoices|]"
    with translation.override("id"):
        assert render(role="technical") == "[technical|||Tagihan|]"
    with translation.override("en"):
        assert render(role="technical") == "[technical|||Invoices|]"


def test_a_setting_changed_renders_it_again():
    render(role="responsible")
    (part,) = PART.nodelist.get_nodes_by_type(FrozenNode)
    assert part.rendered
    with override_settings(STATIC_URL="/elsewhere/"):
        assert not part.rendered
