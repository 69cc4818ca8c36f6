"""Typed records of the API's answers, one per schema of the served OpenAPI description (``SCHEMA``).

Their fields are exactly the schema's properties (a test compares them with ``/api/schema/``, so they
cannot drift); a server newer than this client may send more, which ``from_api`` keeps in ``extra``.
"""

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar


class Record:
    SCHEMA: ClassVar[str]

    @classmethod
    def from_api(cls, data):
        names = {item.name for item in fields(cls)} - {"extra"}
        known = {name: data.get(name) for name in names}
        return cls(**known, extra={key: value for key, value in data.items() if key not in names})

    def to_dict(self):
        data = {item.name: getattr(self, item.name) for item in fields(self) if item.name != "extra"}
        data.update(self.extra)
        return data


@dataclass
class CurrentUser(Record):
    SCHEMA = "CurrentUser"
    id: int
    username: str
    email: str
    is_staff: bool
    points: int
    date_joined: str
    extra: dict = field(default_factory=dict, repr=False)


@dataclass
class Team(Record):
    SCHEMA = "Team"
    id: int
    name: str
    created: str
    member_count: int
    is_member: bool
    is_admin: bool
    extra: dict = field(default_factory=dict, repr=False)


@dataclass
class ImageSet(Record):
    SCHEMA = "ImageSet"
    id: int
    name: str
    team: int | None
    team_name: str | None
    creator: Any
    description: str
    location: str
    time: str
    image_count: int
    annotation_types: list
    tags: list
    public: bool
    public_collaboration: bool
    image_lock: bool
    priority: int
    pinned: bool
    permissions: list
    zip_state: str | None
    zip_url: str | None
    extra: dict = field(default_factory=dict, repr=False)


@dataclass
class Image(Record):
    SCHEMA = "Image"
    id: int
    image_set: int
    name: str
    width: int
    height: int
    format: str
    file_size: int
    checksum: str  # SHA-512 of the file, hex
    time: str
    url: str
    thumbnail_url: str
    extra: dict = field(default_factory=dict, repr=False)


@dataclass
class AnnotationType(Record):
    SCHEMA = "AnnotationType"
    id: int
    name: str
    team: int | None
    team_name: str | None
    vector_type: int
    vector_type_name: str
    node_count: int
    color: str
    shortcut: str | None
    sort_order: int
    is_tag: bool
    active: bool
    enable_concealed: bool
    enable_blurred: bool
    attributes: list
    extra: dict = field(default_factory=dict, repr=False)


@dataclass
class Annotation(Record):
    SCHEMA = "Annotation"
    id: int
    uuid: str
    image: int
    image_name: str
    image_width: int
    image_height: int
    annotation_type: int
    is_tag: bool
    vector: dict | None
    not_in_image: bool
    concealed: bool
    blurred: bool
    concealed_flag: bool
    blurred_flag: bool
    attributes: dict
    origin: str
    model_name: str
    confidence: float | None
    creator: Any
    created: str
    last_editor: Any
    last_edited: str | None
    version: int
    accepts: int
    rejects: int
    score: int
    my_vote: str | None
    permissions: list
    extra: dict = field(default_factory=dict, repr=False)


@dataclass
class Export(Record):
    SCHEMA = "Export"
    id: int
    image_set: int
    user: str | None
    format: int | None
    format_name: str
    standard: str
    options: dict
    state: str  # queued, running, done, failed
    progress: int
    time: str
    finished: str | None
    annotation_count: int
    report: Any
    error: str
    filename: str
    size: int | None
    deprecated: bool
    status_url: str
    download_url: str | None
    extra: dict = field(default_factory=dict, repr=False)


@dataclass
class LabelImport(Record):
    SCHEMA = "LabelImport"
    id: int
    image_set: int
    format: str
    filename: str
    machine_made: bool
    model_name: str
    state: str
    records: int
    summary: Any
    errors: int
    warnings: int
    duplicates: int
    report: Any
    error: str
    created: str
    time: str
    finished: str | None
    status_url: str
    report_url: str | None
    extra: dict = field(default_factory=dict, repr=False)


@dataclass
class ModelBackend(Record):
    SCHEMA = "ModelBackend"
    id: int
    team: int
    name: str
    url: str
    auth_header_masked: str
    label_map: dict
    interactive: bool
    model_version: str
    last_status: str
    last_checked: str | None
    created: str
    extra: dict = field(default_factory=dict, repr=False)


@dataclass
class PrelabelJob(Record):
    SCHEMA = "PrelabelJob"
    id: int
    backend: int
    image_set: int
    model_name: str
    model_version: str
    state: str
    images_total: int
    images_done: int
    labels_made: int
    labels_refused: int
    backend_errors: int
    percent: int
    report: Any
    error: str
    cancel_requested: bool
    created: str
    started: str | None
    finished: str | None
    extra: dict = field(default_factory=dict, repr=False)


@dataclass
class UploadResult(Record):
    SCHEMA = "UploadResult"
    name: str
    status: str  # added, duplicate, refused
    reason: str
    size: int | None
    image_id: int | None
    extra: dict = field(default_factory=dict, repr=False)


RECORDS = (
    CurrentUser,
    Team,
    ImageSet,
    Image,
    AnnotationType,
    Annotation,
    Export,
    LabelImport,
    ModelBackend,
    PrelabelJob,
    UploadResult,
)
