"""Text translated at import time would be frozen in the default language (Indonesian)
for every visitor: outside functions, only the lazy gettext may be used."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EAGER = {"gettext", "ngettext", "pgettext", "npgettext"}
SKIP = {".venv", "migrations", "tests", "var", "staticfiles", "node_modules"}


def project_modules():
    for path in sorted(ROOT.rglob("*.py")):
        if not SKIP.intersection(path.relative_to(ROOT).parts):
            yield path


def eager_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            names |= {alias.asname or alias.name for alias in node.names if alias.name in EAGER}
    return names


def calls_outside_functions(node: ast.AST, names: set[str]):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(child, ast.Call) and getattr(child.func, "id", None) in names:
            yield child.lineno
        yield from calls_outside_functions(child, names)


def test_the_scan_finds_an_eager_class_attribute():
    tree = ast.parse(
        "from django.utils.translation import gettext as _\n"
        "class V:\n    title = _('x')\n    def get(self):\n        return _('y')\n"
    )
    assert list(calls_outside_functions(tree, eager_names(tree))) == [3]


def test_no_text_is_translated_at_import_time():
    offenders = []
    for path in project_modules():
        tree = ast.parse(path.read_text())
        names = eager_names(tree)
        if names:
            offenders += [
                f"{path.relative_to(ROOT)}:{line}" for line in calls_outside_functions(tree, names)
            ]
    assert offenders == [], "use gettext_lazy outside functions"
