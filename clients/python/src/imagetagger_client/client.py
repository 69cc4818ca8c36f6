"""``Client``: typed methods over ImageTagger's REST API (``/api/v1/``).

    from imagetagger_client import Client
    with Client("https://tagger.example.org", token="…") as tagger:   # or Client.from_config()
        summary = tagger.upload(12, ["photos/"])
        export = tagger.wait(tagger.export(12, standard="coco"))
        tagger.download_export(export, "labels.json")

Lists are iterated page after page (``next`` links) as you go; long jobs (exports, label imports,
pre-label jobs, zip archives) have ``wait_*`` methods with a progress bar and a time limit.
"""

import time
import uuid
from pathlib import Path

from tqdm import tqdm

from . import __version__, config, errors
from .models import (
    Annotation,
    AnnotationType,
    CurrentUser,
    Export,
    Image,
    ImageSet,
    LabelImport,
    ModelBackend,
    PrelabelJob,
    Team,
)
from .transport import Transport
from .upload import upload

API = "/api/v1"
BULK_LIMIT = 1000
FINISHED = {"done", "failed", "finished", "cancelled"}


def _id(value):
    return getattr(value, "id", value)


class Client:
    def __init__(self, url, token=None, *, timeout=60.0, retries=8, transport=None):
        self.transport = Transport(
            url,
            token,
            timeout=timeout,
            retries=retries,
            user_agent=f"imagetagger-client/{__version__}",
            transport=transport,
        )

    @classmethod
    def from_config(cls, url=None, token=None, **options):
        """A client for ``url``/``token``, else IMAGETAGGER_URL/IMAGETAGGER_TOKEN, else the config file."""
        found = config.resolve(url=url, token=token)
        return cls(found.url, found.token, **options)

    def close(self):
        self.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _get(self, path, **params):
        return self.transport.json("GET", f"{API}{path}", params={k: v for k, v in params.items() if v is not None})

    def _list(self, record, path, **params):
        query = {key: value for key, value in params.items() if value is not None}
        for item in self.transport.pages(f"{API}{path}", query):
            yield record.from_api(item)

    # --- who, teams, sets, images, types --------------------------------------------------------------

    def whoami(self) -> CurrentUser:
        return CurrentUser.from_api(self._get("/users/me/"))

    def teams(self):
        return self._list(Team, "/teams/")

    def image_sets(self, *, team=None):
        """The sets you may read (with ``team``: that team's)."""
        return (
            image_set
            for image_set in self._list(ImageSet, "/imagesets/")
            if team is None or image_set.team == _id(team)
        )

    def image_set(self, image_set) -> ImageSet:
        return ImageSet.from_api(self._get(f"/imagesets/{_id(image_set)}/"))

    def create_image_set(self, team, name, **fields) -> ImageSet:
        body = self.transport.json("POST", f"{API}/imagesets/", json={"team": _id(team), "name": name, **fields})
        return ImageSet.from_api(body)

    def images(self, image_set):
        """The set's images by name (each with its SHA-512 ``checksum``)."""
        return self._list(Image, f"/imagesets/{_id(image_set)}/images/")

    def upload(self, image_set, paths, *, workers=2, progress=True, names_relative_to=None):
        """Upload files, folders and archives; skips what the set holds (by checksum). See ``upload``."""
        return upload(self, image_set, paths, workers=workers, progress=progress, names_relative_to=names_relative_to)

    def annotation_types(self, *, image_set=None):
        return self._list(AnnotationType, "/annotation-types/", image_set=_id(image_set) if image_set else None)

    # --- annotations -----------------------------------------------------------------------------------

    def annotations(self, *, image_set=None, image=None, annotation_type=None, origin=None, **filters):
        """Annotations page after page (filters as the API's: ``model_name``, ``not_voted_by_me``…)."""
        return self._list(
            Annotation,
            "/annotations/",
            image_set=_id(image_set) if image_set else None,
            image=_id(image) if image else None,
            annotation_type=_id(annotation_type) if annotation_type else None,
            origin=origin,
            **filters,
        )

    def create_annotations(self, items):
        """Create annotations in bulk (all or nothing per 1,000): each item as for the API's create
        (``image``, ``annotation_type``, ``vector``, …). Items without a ``uuid`` get one, so a request
        repeated after a lost answer creates nothing twice. Returns the created (or replayed) ones."""
        items = [{**item, "uuid": str(item.get("uuid") or uuid.uuid4())} for item in items]
        made = []
        for start in range(0, len(items), BULK_LIMIT):
            body = self.transport.json(
                "POST",
                f"{API}/annotations/bulk/",
                json={"annotations": items[start : start + BULK_LIMIT]},
                idempotent=True,
            )
            made += [Annotation.from_api(item) for item in body]
        return made

    def vote(self, annotation, vote):
        """``vote``: "accept", "reject", or None to withdraw yours."""
        path = f"{API}/annotations/{_id(annotation)}/vote/"
        if vote is None:
            return self.transport.json("DELETE", path)
        return self.transport.json("PUT", path, json={"vote": vote})

    # --- exports, imports, zips -------------------------------------------------------------------------

    def export(self, image_set, *, standard=None, format=None, options=None) -> Export:
        """Start an export: a ``standard`` format ("coco", "voc", "yolo", "yolo-seg", "pipe", "cvat",
        "labelme", "labelstudio") with ``options``, or a team's template ``format`` (id)."""
        body = {"standard": standard} if standard else {"format": _id(format)}
        if options:
            body["options"] = options
        return Export.from_api(self.transport.json("POST", f"{API}/imagesets/{_id(image_set)}/exports/", json=body))

    def get_export(self, export) -> Export:
        return Export.from_api(self._get(f"/exports/{_id(export)}/"))

    def download_export(self, export, target):
        """Save the export's file (waiting for it first); returns the path."""
        export = self.wait_export(export, progress=False) if getattr(export, "state", None) != "done" else export
        self.transport.download(f"{API}/exports/{export.id}/download/", target)
        return Path(target)

    def import_labels(self, image_set, path, *, format, machine_made=False, model_name="") -> LabelImport:
        """Import labels from a file (``format``: "pipe", "coco", "voc", "yolo", …, as the API lists)."""
        path = Path(path)
        data = {"format": format, "machine_made": "true" if machine_made else "false", "model_name": model_name}
        body = self.transport.json(
            "POST",
            f"{API}/imagesets/{_id(image_set)}/label-imports/",
            data=data,
            files=lambda: [("file", (path.name, path.open("rb")))],
            idempotent=False,
        )
        return LabelImport.from_api(body)

    def get_label_import(self, label_import) -> LabelImport:
        return LabelImport.from_api(self._get(f"/label-imports/{_id(label_import)}/"))

    def download_zip(self, image_set, target, *, timeout=3600, progress=True, poll=2.0):
        """Save the set's images as a zip archive, waiting while the worker builds it."""
        path = f"/images/imageset/{_id(image_set)}/download/"
        deadline = time.monotonic() + timeout
        with tqdm(desc="zip archive", disable=not progress, bar_format="{desc}: {elapsed} {postfix}") as bar:
            while True:
                status, body = self.transport.download(path, target)
                if status == 200:
                    return Path(target)
                if status == 204:
                    raise errors.NotFound("The set has no images: there is no archive.", status=204)
                bar.set_postfix_str((body or {}).get("detail", "being built"))
                if time.monotonic() > deadline:
                    raise errors.Timeout(f"The archive was not ready within {timeout} s.", data=body)
                time.sleep(poll)

    # --- model backends and pre-label jobs ---------------------------------------------------------------

    def model_backends(self, *, team=None):
        """Your teams' model backends (with ``team``: that team's)."""
        backends = self._list(ModelBackend, "/model-backends/")
        return (backend for backend in backends if team is None or backend.team == _id(team))

    def prelabel(self, image_set, backend) -> PrelabelJob:
        """Start pre-labelling the set with the team's model backend."""
        body = self.transport.json(
            "POST", f"{API}/prelabel-jobs/", json={"image_set": _id(image_set), "backend": _id(backend)}
        )
        return PrelabelJob.from_api(body)

    def get_prelabel_job(self, job) -> PrelabelJob:
        return PrelabelJob.from_api(self._get(f"/prelabel-jobs/{_id(job)}/"))

    # --- waiting for jobs -------------------------------------------------------------------------------

    def wait_export(self, export, **options) -> Export:
        return self._wait(export, self.get_export, "export", **options)

    def wait_label_import(self, label_import, **options) -> LabelImport:
        return self._wait(label_import, self.get_label_import, "label import", **options)

    def wait_prelabel(self, job, **options) -> PrelabelJob:
        return self._wait(job, self.get_prelabel_job, "pre-label", **options)

    def _wait(self, job, fetch, what, *, timeout=3600, poll=1.0, progress=True):
        """Poll until the job is finished; JobFailed when it failed, Timeout after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with tqdm(total=100, desc=what, unit="%", disable=not progress) as bar:
            while True:
                job = fetch(job)
                percent = getattr(job, "progress", None)
                if percent is None:
                    percent = getattr(job, "percent", None)
                if isinstance(percent, int | float):
                    bar.update(max(0, min(100, percent) - bar.n))
                if job.state in FINISHED:
                    if job.state in ("failed", "cancelled"):
                        raise errors.JobFailed(f"The {what} {job.state}: {job.error or 'no reason given'}", data=job)
                    bar.update(100 - bar.n)
                    return job
                if time.monotonic() > deadline:
                    raise errors.Timeout(f"The {what} did not finish within {timeout} s.", data=job)
                time.sleep(poll)
