"""Money as Indonesians write it: ``Rp 1.234.567`` (``,50`` only when there are sen)."""

from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()


@register.filter
def rupiah(value) -> str:
    if value is None or value == "":
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    whole, sen = divmod(abs(amount), 1)
    grouped = f"{int(whole):,}".replace(",", ".")
    text = f"Rp {sign}{grouped}"
    if sen:
        text += f",{int(sen * 100):02d}"
    return text
