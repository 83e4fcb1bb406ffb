"""collectstatic with the production storage: hashed, compressed, and not stopped by
the source maps the vendored Bootstrap names but does not ship."""

import json

from django.core.management import call_command


def test_collectstatic_with_the_production_storage(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "core.staticfiles.StaticFilesStorage"},
    }

    call_command("collectstatic", interactive=False, verbosity=0)

    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    hashed = manifest["vendor/bootstrap/css/bootstrap.min.css"]
    assert hashed != "vendor/bootstrap/css/bootstrap.min.css"
    assert (tmp_path / "static" / f"{hashed}.gz").exists()
    assert "vendor/bootstrap/js/bootstrap.bundle.min.js" in manifest
