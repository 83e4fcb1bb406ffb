"""H6: the help centre's first articles, in Indonesian and English, built from the
published policy (customers/policy/*.txt) and the rules the portal enforces.

Each article is a pair of text files in ``help/articles/``: ``<slug>.id.txt`` and
``<slug>.en.txt``, whose first line is the title, second line the summary, and the
rest (after a blank line) the text. The rights-and-obligations article takes its text
from the policy itself.

``load_articles()`` is idempotent: an article whose slug exists is left as staff
edited it.
"""

from pathlib import Path

from django.conf import settings

from help.models import Article, Topic

ARTICLES_DIR = Path(__file__).resolve().parent / "articles"
POLICY = Path(settings.BASE_DIR) / "customers" / "policy"

# topic, slug, position within the topic
ARTICLES = [
    (Topic.ORDER, "cara-memesan-layanan", 0),
    (Topic.PAYMENT, "cara-membayar-dan-konfirmasi", 0),
    (Topic.PAYMENT, "mengapa-30-hari", 1),
    (Topic.SUPPORT, "cara-membuka-tiket-yang-baik", 0),
    (Topic.SUPPORT, "masa-dukungan-dan-garansi", 1),
]
RIGHTS = {
    "slug": "hak-dan-kewajiban-pelanggan",
    "topic": Topic.RIGHTS,
    "title_id": "Hak dan kewajiban pelanggan",
    "title_en": "Customer rights and obligations",
    "summary_id": "Kebijakan Masternet Indonesia: sepuluh kewajiban dan tujuh hak pelanggan.",
    "summary_en": "Masternet Indonesia's policy: ten obligations and seven rights of the customer.",
    "files": ("hak-dan-kewajiban-pelanggan.id.txt", "customer-rights-and-obligations.en.txt"),
}


def _read(path: Path) -> tuple[str, str, str]:
    """(title, summary, text) of an article file."""
    title, summary, text = path.read_text(encoding="utf-8").split("\n", 2)
    return title.strip(), summary.strip(), text.strip()


def _policy_text(name: str) -> str:
    """The policy file without its first line (the title, which the article has)."""
    return (POLICY / name).read_text(encoding="utf-8").split("\n", 1)[1].strip()


def article_fields() -> list[dict]:
    """Every seeded article's fields, in both languages."""
    fields = []
    for topic, slug, position in ARTICLES:
        title_id, summary_id, body_id = _read(ARTICLES_DIR / f"{slug}.id.txt")
        title_en, summary_en, body_en = _read(ARTICLES_DIR / f"{slug}.en.txt")
        fields.append(
            {
                "slug": slug,
                "topic": topic,
                "position": position,
                "title_id": title_id,
                "title_en": title_en,
                "summary_id": summary_id,
                "summary_en": summary_en,
                "body_id": body_id,
                "body_en": body_en,
            }
        )
    rights = {key: value for key, value in RIGHTS.items() if key != "files"}
    body_id, body_en = (_policy_text(name) for name in RIGHTS["files"])
    fields.append({**rights, "position": 0, "body_id": body_id, "body_en": body_en})
    return fields


def load_articles() -> None:
    """H6: create the help centre's articles that do not exist yet, published."""
    for fields in article_fields():
        slug = fields.pop("slug")
        Article.objects.get_or_create(slug=slug, defaults={**fields, "is_published": True})
