"""The cart lives in the session and holds only ids and what the customer typed.

Prices are never kept here: checkout reads them from the catalogue again, so a
forged cart cannot change a price.
"""

from dataclasses import asdict, dataclass

SESSION_KEY = "cart"


@dataclass(frozen=True)
class CartItem:
    product_id: int
    plan_id: int | None = None
    domain_name: str = ""
    domain_action: str = ""


class Cart:
    def __init__(self, session):
        self.session = session

    @property
    def items(self) -> list[CartItem]:
        items = []
        for raw in self.session.get(SESSION_KEY, []):
            try:
                items.append(CartItem(**raw))
            except TypeError:
                continue  # an item from an older cart format: dropped
        return items

    def add(self, item: CartItem) -> None:
        self.session[SESSION_KEY] = [*self.session.get(SESSION_KEY, []), asdict(item)]

    def remove(self, index: int) -> None:
        raw = list(self.session.get(SESSION_KEY, []))
        if 0 <= index < len(raw):
            del raw[index]
            self.session[SESSION_KEY] = raw

    def clear(self) -> None:
        self.session.pop(SESSION_KEY, None)

    def __len__(self):
        return len(self.session.get(SESSION_KEY, []))
