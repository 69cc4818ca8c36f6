from django.core.files.uploadedfile import SimpleUploadedFile

from tools.services import create_tool


def upload(name="convert.py", content=b"print('hello')\n", content_type="text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_tool(creator, *, name="converter", team=None, public=False, filename="convert.py", content=b"print(1)\n"):
    return create_tool(
        actor=creator,
        upload=upload(filename, content),
        name=name,
        description="turns sets into bags",
        team=team,
        public=public,
    )
