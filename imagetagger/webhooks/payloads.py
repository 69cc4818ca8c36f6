"""What each event sends, as serializers: the OpenAPI schema shows them (the ``payload`` of a delivery in
``/api/v1/webhooks/{id}/deliveries/`` is one of them, chosen by ``event``), and the tests check every
body ``events`` builds against them. Nothing here builds a body: ``events`` does, without serializers."""

from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from .models import PING, Event

STATES = {
    "export": "done or failed",
    "label_import": "done or failed",
    "prelabel_job": "finished, failed or cancelled",
}


class WebhookActor(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


def _actor():
    return WebhookActor(allow_null=True, help_text="Who did it (null: nobody's behalf, or a deleted user).")


class WebhookVotedAnnotation(serializers.Serializer):
    """An annotation named by its ids (votes); ``WebhookAnnotation`` adds its content."""

    id = serializers.IntegerField()
    uuid = serializers.UUIDField()
    image = serializers.IntegerField()
    image_set = serializers.IntegerField()
    annotation_type = serializers.IntegerField()
    created_by = serializers.IntegerField(allow_null=True, help_text="The id of the user who made it.")


class WebhookAnnotation(WebhookVotedAnnotation):
    image_name = serializers.CharField()
    annotation_type_name = serializers.CharField()
    vector = serializers.JSONField(allow_null=True, help_text='{"x1":…,"y1":…,…} in image pixels; null: not in image.')
    concealed = serializers.BooleanField()
    blurred = serializers.BooleanField()
    attributes = serializers.DictField()
    version = serializers.IntegerField()
    origin = serializers.CharField(help_text="human or machine")
    model_name = serializers.CharField()
    confidence = serializers.FloatField(allow_null=True)


class WebhookAnnotationEventData(serializers.Serializer):
    annotation = WebhookAnnotation(help_text="The annotation after the change (for a delete: as it was).")
    actor = _actor()


class WebhookVoteData(serializers.Serializer):
    annotation = WebhookVotedAnnotation()
    vote = serializers.CharField(allow_null=True, help_text="accept, reject, or null: the vote was withdrawn.")
    accepts = serializers.IntegerField()
    rejects = serializers.IntegerField()
    score = serializers.IntegerField(help_text="accepts − rejects")
    actor = _actor()


class WebhookImageSet(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    location = serializers.CharField()
    public = serializers.BooleanField()
    public_collaboration = serializers.BooleanField()
    image_lock = serializers.BooleanField()
    priority = serializers.IntegerField()
    image_count = serializers.IntegerField()


class WebhookImageSetChangeData(serializers.Serializer):
    image_set = WebhookImageSet(help_text="The set after the change (for a delete: as it was).")
    changes = serializers.ListField(
        child=serializers.CharField(),
        help_text="What changed: field names (name, description, location, priority, public, "
        "public_collaboration, image_lock), annotation_types, tags, images_deleted, created, set_free or deleted.",
    )
    images_deleted = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="With images_deleted: the ids of those images."
    )
    actor = _actor()


class WebhookAddedImage(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class WebhookImagesAddedData(serializers.Serializer):
    image_set = WebhookImageSet()
    count = serializers.IntegerField(help_text="Images the upload added.")
    images = WebhookAddedImage(many=True, help_text="The added images (the first 1000).")
    actor = _actor()


class WebhookJob(serializers.Serializer):
    """What the three kinds of background job have in common."""

    id = serializers.IntegerField()
    image_set = serializers.IntegerField()
    state = serializers.CharField()
    error = serializers.CharField()
    finished = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(help_text="The job in the API.")


class WebhookExport(WebhookJob):
    state = serializers.CharField(help_text=STATES["export"])
    format_name = serializers.CharField()
    standard = serializers.CharField(help_text="coco, voc, yolo, …; empty for a template format.")
    annotation_count = serializers.IntegerField()
    size = serializers.IntegerField(allow_null=True)
    filename = serializers.CharField()
    download_url = serializers.CharField(allow_null=True)


class WebhookLabelImport(WebhookJob):
    state = serializers.CharField(help_text=STATES["label_import"])
    format = serializers.CharField()
    filename = serializers.CharField()
    records = serializers.IntegerField()
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors = serializers.IntegerField()


class WebhookPrelabelJob(WebhookJob):
    state = serializers.CharField(help_text=STATES["prelabel_job"])
    backend = serializers.IntegerField()
    model_version = serializers.CharField()
    images_total = serializers.IntegerField()
    images_done = serializers.IntegerField()
    labels_made = serializers.IntegerField()
    labels_refused = serializers.IntegerField()
    backend_errors = serializers.IntegerField()


class WebhookPingWebhook(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    description = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())


def _about(name, key, serializer):
    """The ``data`` of an event about one object: ``{key: the object, "actor": …}``."""
    return type(name, (serializers.Serializer,), {key: serializer(), "actor": _actor()})


WebhookExportData = _about("WebhookExportData", "export", WebhookExport)
WebhookLabelImportData = _about("WebhookLabelImportData", "label_import", WebhookLabelImport)
WebhookPrelabelJobData = _about("WebhookPrelabelJobData", "prelabel_job", WebhookPrelabelJob)
WebhookPingData = _about("WebhookPingData", "webhook", WebhookPingWebhook)


DATA = {
    Event.ANNOTATION_CREATED: WebhookAnnotationEventData,
    Event.ANNOTATION_UPDATED: WebhookAnnotationEventData,
    Event.ANNOTATION_DELETED: WebhookAnnotationEventData,
    Event.ANNOTATION_VOTED: WebhookVoteData,
    Event.IMAGESET_CHANGED: WebhookImageSetChangeData,
    Event.IMAGES_ADDED: WebhookImagesAddedData,
    Event.EXPORT_FINISHED: WebhookExportData,
    Event.LABEL_IMPORT_FINISHED: WebhookLabelImportData,
    Event.PRELABEL_JOB_FINISHED: WebhookPrelabelJobData,
    PING: WebhookPingData,
}

DESCRIPTIONS = {
    Event.ANNOTATION_CREATED: "A label was made (in the browser, by the API, or by a pre-label job).",
    Event.ANNOTATION_UPDATED: "A label's shape, type, flags or attributes changed.",
    Event.ANNOTATION_DELETED: "A label was deleted.",
    Event.ANNOTATION_VOTED: "Somebody accepted or rejected a label, changed or withdrew their vote.",
    Event.IMAGESET_CHANGED: "An image set was created, edited, tagged, had images deleted, was set free or deleted.",
    Event.IMAGES_ADDED: "An upload added images to a set (one event per upload).",
    Event.EXPORT_FINISHED: "An export is written (or failed).",
    Event.LABEL_IMPORT_FINISHED: "A label import is done (or failed); its labels send no annotation.created each.",
    Event.PRELABEL_JOB_FINISHED: "A pre-label job finished, failed or was cancelled.",
    PING: "The test event (“Send a test event”), to one webhook, whatever it subscribed to.",
}


def _component(event):
    return "Webhook" + "".join(part.title() for part in event.replace(".", "_").split("_")) + "Event"


def envelope(event):
    """The serializer of the whole body of ``event``: ``{"id", "event", "created", "team", "data"}``."""
    fields = {
        "id": serializers.UUIDField(help_text="The event's id (the same for every webhook it goes to)."),
        "event": serializers.CharField(help_text=f"“{event}”"),
        "created": serializers.DateTimeField(help_text="When it happened."),
        "team": serializers.IntegerField(help_text="The team whose data it is about."),
        "data": DATA[event](help_text=DESCRIPTIONS[event]),
    }
    return type(_component(event), (serializers.Serializer,), {**fields, "__doc__": DESCRIPTIONS[event]})


ENVELOPES = {str(event): envelope(event) for event in DATA}

ANY_EVENT = PolymorphicProxySerializer(
    component_name="WebhookEvent",
    serializers=dict(ENVELOPES),
    resource_type_field_name="event",
)
