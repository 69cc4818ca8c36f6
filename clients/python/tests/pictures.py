"""Generated pictures for the client's tests."""

import io

from PIL import Image as PILImage


def picture_bytes(index, size=(64, 48)):
    """A small PNG whose pixels differ with ``index`` (no two alike)."""
    image = PILImage.new("RGB", size, (index % 256, (index // 256) % 256, 77))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def picture_folder(folder, count, start=0):
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(start, start + count):
        (folder / f"img{index:04d}.png").write_bytes(picture_bytes(index))
    return folder
