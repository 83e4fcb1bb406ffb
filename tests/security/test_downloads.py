"""Private downloads are attachments, never sniffed or cached; no media URL is public."""

import pytest
from django.test import Client

from tests.security.conftest import DOWNLOADS, client_for, object_urls


@pytest.mark.parametrize("key", DOWNLOADS)
def test_downloads_are_attachments_never_sniffed_or_cached(world, key, tried):
    response = client_for(world.contact.user).get(object_urls(world)[key])
    tried()
    assert response.status_code == 200, key
    assert response["Content-Disposition"].startswith("attachment"), key
    assert response["X-Content-Type-Options"] == "nosniff", key
    assert "no-store" in response["Cache-Control"], key


@pytest.mark.parametrize("key", DOWNLOADS)
def test_downloads_need_a_login(world, key, tried):
    url = object_urls(world)[key]
    response = Client().get(url)
    tried()
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _stored_names(world):
    names = [
        world.document.scan.name, world.confirmation.proof.name,
        world.technical_change.letter.name, world.project.design_reference_file.name,
    ]  # fmt: skip
    if world.attachment is not None:
        names.append(world.attachment.file.name)
    return names


@pytest.mark.parametrize("prefix", ["/media/", "/private/", "/var/private/", "/static/../var/"])
@pytest.mark.parametrize("logged_in", [False, True])
def test_no_media_url_reaches_a_private_file(world, prefix, logged_in, tried):
    client = client_for(world.contact.user) if logged_in else Client()
    for name in _stored_names(world):
        tried()
        assert client.get(prefix + name).status_code == 404, prefix + name
