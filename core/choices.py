"""A choice field's label, as ``get_FOO_display()`` gives it, at the cost of one label.

Django's ``Model._get_FIELD_display`` builds a dict of *all* the field's choices on each
call, and makes them hashable first: hashing a lazily translated label translates it. A
status with five choices costs five gettext lookups per call, which a list page pays on
every row. A model overrides ``get_<field>_display`` with :func:`choice_display` where a
page shows that label per row (Django keeps an explicit override).
"""

from django.db import models
from django.utils.encoding import force_str


def choice_display(instance: models.Model, field_name: str):
    """What ``instance.get_<field_name>_display()`` returns: the label of the current value
    in the active language, or the value itself when it is not one of the choices."""
    field = instance._meta.get_field(field_name)
    value = getattr(instance, field.attname)
    for choice, label in field.flatchoices:
        if choice == value:
            return force_str(label, strings_only=True)
    return value
