"""Uploading files, folders and archives to an image set: parallel, resumable, never twice.

What is sent: image files (by their extension: .jpg .jpeg .png .webp, any case) found in the given
files and folders (folders walked recursively, hidden entries skipped), and archives (.zip, .tar,
.tar.gz, .tgz, .tar.bz2, .tar.xz) as they are (the server unpacks them and skips images it holds).

Resuming: before sending, the set's images are listed and every local image whose SHA-512 the set
already holds is skipped; a batch cut off by a restarting server is sent again (the server answers
"duplicate" for what it had already stored). So running the same upload again, or after a crash,
sends only what is missing and never makes a duplicate.
"""

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .models import UploadResult

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp"}
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
BATCH_FILES = 16
BATCH_BYTES = 32 * 1024 * 1024


@dataclass
class UploadSummary:
    """What an upload did: ``added``, ``duplicates`` (the server had them), ``skipped`` (not sent: the
    set had them), ``refused`` (UploadResult with the reason) and ``ignored`` (not images)."""

    added: list = field(default_factory=list)
    duplicates: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    ignored: list = field(default_factory=list)

    def to_dict(self):
        return {
            "added": len(self.added),
            "duplicates": len(self.duplicates),
            "skipped": len(self.skipped),
            "refused": [result.to_dict() for result in self.refused],
            "ignored": [str(path) for path in self.ignored],
        }


def is_archive(path):
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def collect(paths):
    """(files to send, paths ignored) for ``paths`` (files and folders), in a stable order."""
    chosen, ignored = [], []
    for given in map(Path, paths):
        if not given.exists():
            raise FileNotFoundError(f"No such file or folder: {given}")
        candidates = [given] if given.is_file() else sorted(_walk(given))
        for path in candidates:
            if path.suffix.lower() in IMAGE_EXTENSIONS or is_archive(path):
                chosen.append(path)
            else:
                ignored.append(path)
    return chosen, ignored


def _walk(folder):
    for root, folders, files in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in files:
            if not name.startswith("."):
                yield Path(root) / name


def sha512_of(path):
    digest = hashlib.sha512()
    with open(path, "rb") as source:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def batches(paths, *, max_files=BATCH_FILES, max_bytes=BATCH_BYTES):
    """Consecutive groups of ``paths``: at most ``max_files`` and about ``max_bytes`` each; an archive
    goes alone."""
    batch, size = [], 0
    for path in paths:
        length = path.stat().st_size
        if is_archive(path) or (batch and (len(batch) >= max_files or size + length > max_bytes)):
            if batch:
                yield batch
            batch, size = [], 0
            if is_archive(path):
                yield [path]
                continue
        batch.append(path)
        size += length
    if batch:
        yield batch


def upload(client, image_set, paths, *, workers=2, progress=True, names_relative_to=None):
    """Upload ``paths`` into ``image_set`` (an id or ImageSet) with ``client``; an UploadSummary.

    Image names are the file names (with ``names_relative_to``: the path below that folder, as the
    server keeps an archive's folders)."""
    set_id = getattr(image_set, "id", image_set)
    files, ignored = collect(paths)
    summary = UploadSummary(ignored=ignored)
    images = [path for path in files if not is_archive(path)]
    held = {image.checksum for image in client.images(set_id)} if images else set()
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        digests = dict(zip(images, pool.map(sha512_of, images), strict=True))
    to_send = []
    for path in files:
        if path in digests and digests[path] in held:
            summary.skipped.append(path)
        else:
            to_send.append(path)
    total = sum(path.stat().st_size for path in to_send)
    bar = tqdm(total=total, unit="B", unit_scale=True, desc="upload", disable=not progress or not to_send, leave=True)
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = {
                pool.submit(_send, client, set_id, batch, names_relative_to): batch for batch in batches(to_send)
            }
            for future in as_completed(futures):
                batch = futures[future]
                for result in future.result():
                    target = {
                        "added": summary.added,
                        "duplicate": summary.duplicates,
                    }.get(result.status, summary.refused)
                    target.append(result)
                bar.update(sum(path.stat().st_size for path in batch))
                bar.set_postfix(added=len(summary.added), refused=len(summary.refused), refresh=False)
    finally:
        bar.close()
    return summary


def _send(client, set_id, batch, names_relative_to):
    def files():
        opened = []
        for path in batch:
            name = path.relative_to(names_relative_to).as_posix() if names_relative_to else path.name
            opened.append(("files", (name, path.open("rb"))))
        return opened

    body = client.transport.json(
        "POST", f"/api/v1/imagesets/{set_id}/images/", files=files, idempotent=True, expect=(200, 201)
    )
    return [UploadResult.from_api(item) for item in body["files"]]
