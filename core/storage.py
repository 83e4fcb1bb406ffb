"""Private uploads: stored under PRIVATE_MEDIA_ROOT, which no URL reaches.

Files are served only by views that check who is asking (see core.downloads).
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """A FileSystemStorage rooted at PRIVATE_MEDIA_ROOT, read at each use so that
    tests (and deployments) can point it elsewhere."""

    @property
    def base_location(self):
        return settings.PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no public URL; serve them through a view.")


def private_storage() -> PrivateStorage:
    return PrivateStorage()
