"""Stored files as the document engine needs them: a path on this machine.

Uploads, seals and generated documents live in Django's default storage: the local file system
for ``make run``, or an S3-compatible object store (django-storages) when ``PORTAL_S3_BUCKET``
is set, so every web and worker node reads the same files. WeasyPrint and pypdf read paths, so
a render opens a scratch folder (:func:`scratch`) and :func:`local_path` fetches a remote file
into it, once per render; the folder goes when the render ends. Files are never served from the
store's URL: permission-checked views stream them.
"""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from django.db.models.fields.files import FieldFile

_scratch: ContextVar[Path | None] = ContextVar("portal_storage_scratch", default=None)


@contextmanager
def scratch() -> Iterator[Path]:
    """A folder for the files one render fetches from the store; removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="render-"))
    token = _scratch.set(folder)
    try:
        yield folder
    finally:
        _scratch.reset(token)
        shutil.rmtree(folder, ignore_errors=True)


def local_path(field: FieldFile) -> Path:
    """The file on this machine: its own path on a local storage, else a copy in the render's
    scratch folder."""
    try:
        return Path(field.path)
    except NotImplementedError:  # a remote store has no local path
        pass
    folder = _scratch.get()
    if folder is None:
        raise RuntimeError("fetch stored files inside portal.storage.scratch()")
    target = folder / f"{len(list(folder.iterdir())):04d}{Path(field.name).suffix}"
    with field.open("rb") as source, target.open("wb") as copy:
        shutil.copyfileobj(source, copy, 1 << 20)
    return target
