"""A choice field's label, as ``get_FOO_display()`` gives it, at the cost of a dict lookup.

Django's ``Model._get_FIELD_display`` builds a dict of *all* the field's choices on each
call, and makes them hashable first: hashing a lazily translated label translates it. A
status with five choices costs five gettext lookups per call, which a list page pays on
every row. Here the labels of a field are translated once per language (a language's
catalogue does not change while the process runs). A model overrides
``get_<field>_display`` with :func:`choice_display` where a page shows that label per
row (Django keeps an explicit override).
"""

from functools import lru_cache

from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils.encoding import force_str
from django.utils.translation import get_language


@lru_cache(maxsize=256)
def _labels(field: models.Field, language: str | None) -> dict:
    # Called with the active language: the labels are translated into it.
    return {choice: force_str(label, strings_only=True) for choice, label in field.flatchoices}


@receiver(setting_changed)
def _forget_labels(**kwargs):
    """A setting changed (in a test): the translations may differ."""
    _labels.cache_clear()


def choice_display(instance: models.Model, field_name: str):
    """What ``instance.get_<field_name>_display()`` returns: the label of the current value
    in the active language, or the value itself when it is not one of the choices."""
    field = instance._meta.get_field(field_name)
    value = getattr(instance, field.attname)
    return _labels(field, get_language()).get(value, value)
