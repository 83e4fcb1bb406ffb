"""Backup and restore, tried for real: scripts/backup dumps PostgreSQL and archives
the private uploads, scripts/restore puts both into a fresh database and folder,
and the rows and the identity scan are there afterwards."""

import os
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

from customers.models import Customer, IdentityDocument
from tests.factories import ContactFactory, IdentityDocumentFactory

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _url(database: str) -> str:
    """A libpq URL for another database on the test database's server."""
    conf = connection.settings_dict
    user = quote(conf["USER"] or "", safe="")
    if conf["PASSWORD"]:
        user += ":" + quote(conf["PASSWORD"], safe="")
    host = f"{conf['HOST']}:{conf['PORT'] or 5432}" if conf["HOST"] else ""
    return f"postgres://{user}@{host}/{database}"


def _run(script: str, *args: str, database: str, media: Path):
    env = {**os.environ, "DATABASE_URL": _url(database), "PRIVATE_MEDIA_ROOT": str(media)}
    return subprocess.run(
        [str(ROOT / "scripts" / script), *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture
def fresh_database():
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_backup_then_restore_into_a_fresh_database_keeps_rows_and_files(
    settings, tmp_path, fresh_database
):
    contact = ContactFactory()
    document = IdentityDocumentFactory(customer=contact.customer)
    scan = Path(settings.PRIVATE_MEDIA_ROOT, document.scan.name).read_bytes()
    customers = Customer.objects.count()
    backup = tmp_path / "backup"

    made = _run(
        "backup", str(backup),
        database=connection.settings_dict["NAME"], media=settings.PRIVATE_MEDIA_ROOT,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert {p.name for p in backup.iterdir()} == {
        "database.dump",
        "private-media.tar.gz",
        "SHA256SUMS",
    }

    restored_media = tmp_path / "restored-private"
    restored = _run("restore", str(backup), database=fresh_database, media=restored_media)
    assert restored.returncode == 0, restored.stderr

    with psycopg.connect(_url(fresh_database)) as db:
        row = db.execute(
            "SELECT number, scan, customer_id FROM customers_identitydocument WHERE id = %s",
            [document.pk],
        ).fetchone()
        count = db.execute("SELECT count(*) FROM customers_customer").fetchone()[0]
        email = db.execute(
            "SELECT email FROM customers_user WHERE id = %s", [contact.user_id]
        ).fetchone()
    assert row == (document.number, document.scan.name, contact.customer_id)
    assert count == customers
    assert email == (contact.user.email,)
    assert (restored_media / document.scan.name).read_bytes() == scan
    assert IdentityDocument.objects.count() == 1  # the source is untouched

    again = _run("restore", str(backup), database=fresh_database, media=tmp_path / "elsewhere")
    assert again.returncode != 0
    assert "restore into an empty one" in again.stderr


def test_a_damaged_backup_is_refused(settings, tmp_path, fresh_database):
    backup = tmp_path / "backup"
    made = _run(
        "backup", str(backup),
        database=connection.settings_dict["NAME"], media=settings.PRIVATE_MEDIA_ROOT,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    with (backup / "database.dump").open("ab") as dump:
        dump.write(b"garbage")

    result = _run("restore", str(backup), database=fresh_database, media=tmp_path / "restored")

    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr
    with psycopg.connect(_url("postgres")) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [fresh_database]
        ).fetchone()
    assert exists is None  # nothing was created
