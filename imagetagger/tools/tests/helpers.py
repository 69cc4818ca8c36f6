from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from tools.services import create_tool


def upload(name="convert.py", content=b"print('hello')\n", content_type="text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def raw_upload(name, content=b"data"):
    """A file whose name Django has not cleaned (as a script calling the services might pass)."""
    return ContentFile(content, name=name)


def make_tool(creator, *, name="converter", team=None, public=False, filename="convert.py", content=b"print(1)\n"):
    return create_tool(
        actor=creator,
        upload=upload(filename, content),
        name=name,
        description="turns sets into bags",
        team=team,
        public=public,
    )
