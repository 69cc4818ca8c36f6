import pytest

from annotations.models import AnnotationType, VectorType
from images.models import Image
from images.tests.factories import add_image_rows, make_imageset
from webhooks import services
from webhooks.models import Event

from .receiver import Receiver

BOX = {"x1": 10, "y1": 10, "x2": 50, "y2": 40}


@pytest.fixture
def receiver():
    """A real HTTP receiver in a thread (``receiver.Receiver``)."""
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def fast_retries(settings):
    """Deliveries time out after 0.5 s and are retried after 0.2 s, 0.4 s, … for 60 s."""
    settings.WEBHOOK_TIMEOUT = 0.5
    settings.WEBHOOK_RETRY_SECONDS = 0.2
    settings.WEBHOOK_RETRY_FOR_SECONDS = 60.0
    settings.WEBHOOK_LEASE_SECONDS = 2.0
    return settings


@pytest.fixture
def world(make_user, make_team):
    """Robots (admin ada, member bob, with a set of three 400×300 images and a box type), and
    Others (admin otto, with a set of its own)."""
    ada, bob, otto = make_user("ada"), make_user("bob"), make_user("otto")
    team = make_team("Robots", admins=[ada], members=[bob])
    others = make_team("Others", admins=[otto])
    image_set = make_imageset(team, creator=ada, name="street")
    other_set = make_imageset(others, creator=otto, name="fields")
    for each in (image_set, other_set):
        add_image_rows(each, 3)
    Image.objects.update(width=400, height=300)
    box = AnnotationType.objects.create(name="car", vector_type=VectorType.BOUNDING_BOX)
    images = list(Image.objects.filter(image_set=image_set).order_by("name"))
    other_images = list(Image.objects.filter(image_set=other_set).order_by("name"))
    return {
        "ada": ada,
        "bob": bob,
        "otto": otto,
        "team": team,
        "others": others,
        "set": image_set,
        "other_set": other_set,
        "box": box,
        "images": images,
        "other_images": other_images,
    }


@pytest.fixture
def hook(world, receiver):
    """``hook(events=[...], team=..., url=...)``: a webhook registered by the team's admin."""

    def make(events=tuple(Event.values), *, team=None, url=None, secret="a-test-secret-of-32-characters!!"):
        team = team or world["team"]
        admin = world["ada"] if team == world["team"] else world["otto"]
        return services.register(actor=admin, team=team, url=url or receiver.url, events=list(events), secret=secret)

    return make
