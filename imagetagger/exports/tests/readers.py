"""The set the reader tests share (exports/tests/test_readers.py, test_datumaro_reader.py): real image
files (the readers open them for their sizes), a name with dots, a JPEG turned by its EXIF orientation,
a type with a non-ASCII name, boxes (one on the image's edge) and a polygon; and ways to export it."""

import io
import zipfile

from django.core.files.storage import default_storage
from e2e.helpers import png_bytes

from exports import standard
from images.ingest import add_image_file
from images.tests.factories import make_imageset

# portrait.jpg: 300 × 200 raw pixels with EXIF orientation 6, shown (and stored) as 200 × 300.
IMAGES = {"a.png": (400, 300), "img.with.dots.png": (320, 240), "portrait.jpg": (300, 200)}
LABELS = [
    ("a.png", "car", {"x1": 10, "y1": 20, "x2": 110, "y2": 220}),
    ("a.png", "Fußgänger", {"x1": 200, "y1": 30, "x2": 260, "y2": 290}),
    ("img.with.dots.png", "car", {"x1": 0, "y1": 0, "x2": 320, "y2": 240}),
    ("img.with.dots.png", "lane", {"x1": 10, "y1": 10, "x2": 90, "y2": 10, "x3": 50, "y3": 80}),
    ("portrait.jpg", "car", {"x1": 20, "y1": 150, "x2": 180, "y2": 290}),
]


def picture(name, width, height, index):
    """The bytes of a test image: a PNG, or for .jpg a JPEG turned by EXIF orientation 6."""
    if not name.endswith(".jpg"):
        return png_bytes(width, height, index)
    from PIL import Image as PILImage

    exif = PILImage.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    PILImage.new("RGB", (width, height), (200, 60, 60)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def box_of(vector):
    xs = [value for key, value in vector.items() if key.startswith("x")]
    ys = [value for key, value in vector.items() if key.startswith("y")]
    return (min(xs), min(ys), max(xs), max(ys))


EXPECTED_BOXES = sorted((name, type_name, box_of(vector)) for name, type_name, vector in LABELS)


def export(dataset, format):
    out = io.BytesIO()
    standard.write(format, dataset["set"], out, standard.clean_options(format, {}))
    return out.getvalue()


def unzip(data, folder):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    return folder


def copy_of(dataset):
    copy = make_imageset(
        dataset["team"], creator=dataset["user"], name=f"copy {dataset['set'].team.image_sets.count()}"
    )
    for index, (name, (width, height)) in enumerate(IMAGES.items()):
        add_image_file(
            copy, name=name, fileobj=io.BytesIO(picture(name, width, height, index)), uploader=dataset["user"]
        )
    return copy


def zipped(folder):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return out.getvalue()


def export_with_images(dataset, format):
    """The export as the site writes it (a job in the background: it copies every image file)."""
    from exports import jobs
    from exports.models import ExportState

    export = jobs.create_export(
        actor=dataset["user"], image_set=dataset["set"], standard=format, options={"images": True}
    )
    assert export.state == ExportState.QUEUED, "exports with images are written by the worker"
    jobs.run(export.pk)
    export.refresh_from_db()
    assert export.state == ExportState.DONE, export.error
    assert export.filename.endswith(".zip")
    with default_storage.open(export.file, "rb") as stored:
        return unzip(stored.read(), dataset["tmp"] / f"{format}-with-images")
