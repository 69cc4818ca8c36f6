"""Builders for the annotation-type tests (services, API and the administration pages).

build_migration_world(make_user, make_team) -> a MigrationWorld: staff stella; creators alice and bob;
    voters carol and dave; 4 images of 100×80 px; a box type "Ball" with 3 boxes, one "not in image"
    and votes (see ``MigrationWorld``); a box type "Goal" and a line type "Lane" with one voted
    annotation each. Points are set from the votes.
add_boxes(annotation_type, image_set, creator, voters, count) -> ``count`` boxes, each voted on by
    ``voters`` (accepts), on ``count`` new images.
expected_points(user) -> the points ``user`` should have, counted from the votes
make_type(name="Ball", **fields) -> a new AnnotationType

Fixtures (offered by the conftest of annotations/tests and administration/tests; a test module may
define its own ``world``): ``staff`` (stella, staff), ``user`` (ursula) and ``world``
(``build_migration_world``).
"""

import itertools
from dataclasses import dataclass

import pytest

from annotations.models import Annotation, AnnotationType, VectorType, Verification
from annotations.votes import accepts_from_others, recompute_points
from images.models import Image
from images.tests.factories import add_image_rows, make_imageset

_counter = itertools.count(1)
WIDTH, HEIGHT = 100, 80


def make_type(name="Ball", **fields):
    return AnnotationType.objects.create(name=name, **fields)


@pytest.fixture
def staff(make_user):
    return make_user("stella", is_staff=True)


@pytest.fixture
def user(make_user):
    return make_user("ursula")


@pytest.fixture
def world(make_user, make_team):
    return build_migration_world(make_user, make_team)


def sized_images(image_set, count):
    images = add_image_rows(image_set, count, start=next(_counter) * 1000)
    Image.objects.filter(pk__in=[image.pk for image in images]).update(width=WIDTH, height=HEIGHT)
    return list(Image.objects.filter(pk__in=[image.pk for image in images]).order_by("pk"))


def annotate(image, annotation_type, user, vector, **fields):
    """An annotation made directly (no rules, no votes, no history)."""
    return Annotation.objects.create(image=image, annotation_type=annotation_type, user=user, vector=vector, **fields)


def vote(annotation, user, verified=True):
    return Verification.objects.create(annotation=annotation, user=user, verified=verified)


def expected_points(user):
    return accepts_from_others().filter(annotation__user=user).count()


@dataclass
class MigrationWorld:
    """Votes on "Ball" (the box type to migrate):

    - a1 (alice) ← carol accept, dave accept, bob reject     → alice loses 2 points
    - a2 (bob)   ← alice accept, carol reject, a deleted user's accept → bob loses 2 points
    - a3 (alice) ← alice's own accept (legacy data; never counted)       → nothing
    - nii (carol, "not in image") ← dave accept: stays, and carol keeps her point
    7 votes are deleted; 4 points are taken from 2 users.
    Other types: "Goal" (box; alice's annotation ← carol accept) and "Lane" (line; bob's ← dave accept).
    """

    stella: object
    alice: object
    bob: object
    carol: object
    dave: object
    images: list
    ball: AnnotationType
    goal: AnnotationType
    lane: AnnotationType
    a1: Annotation
    a2: Annotation
    a3: Annotation
    nii: Annotation
    goal_box: Annotation
    lane_line: Annotation

    @property
    def boxes(self):
        return [self.a1, self.a2, self.a3]


def build_migration_world(make_user, make_team):
    stella = make_user("stella", is_staff=True)
    alice, bob, carol, dave, ghost = (make_user(name) for name in ("alice", "bob", "carol", "dave", "ghost"))
    team = make_team("Labellers", admins=[alice], members=[bob, carol, dave])
    images = sized_images(make_imageset(team, creator=alice), 4)
    ball = AnnotationType.objects.create(name="Ball", vector_type=VectorType.BOUNDING_BOX)
    goal = AnnotationType.objects.create(name="Goal", vector_type=VectorType.BOUNDING_BOX)
    lane = AnnotationType.objects.create(name="Lane", vector_type=VectorType.LINE)
    a1 = annotate(images[0], ball, alice, {"x1": 10, "y1": 20, "x2": 30, "y2": 40}, concealed_flag=True)
    a2 = annotate(images[1], ball, bob, {"x1": 0, "y1": 0, "x2": 100, "y2": 80})
    a3 = annotate(images[2], ball, alice, {"x1": 5, "y1": 6, "x2": 7, "y2": 8}, version=4)
    nii = annotate(images[3], ball, carol, None)
    goal_box = annotate(images[0], goal, alice, {"x1": 1, "y1": 2, "x2": 3, "y2": 4})
    lane_line = annotate(images[0], lane, bob, {"x1": 1, "y1": 2, "x2": 30, "y2": 40})
    vote(a1, carol)
    vote(a1, dave)
    vote(a1, bob, False)
    vote(a2, alice)
    vote(a2, carol, False)
    vote(a2, ghost)
    ghost.delete()  # the vote stays with user NULL, and still counts
    vote(a3, alice)
    vote(nii, dave)
    vote(goal_box, carol)
    vote(lane_line, dave)
    recompute_points()
    return MigrationWorld(
        stella, alice, bob, carol, dave, images, ball, goal, lane, a1, a2, a3, nii, goal_box, lane_line
    )


def add_boxes(annotation_type, image_set, creator, voters, count):
    images = sized_images(image_set, count)
    boxes = [
        annotate(image, annotation_type, creator, {"x1": 1, "y1": 2, "x2": 3 + index % 50, "y2": 4})
        for index, image in enumerate(images)
    ]
    Verification.objects.bulk_create(
        [Verification(annotation=box, user=voter, verified=True) for box in boxes for voter in voters]
    )
    recompute_points()
    return boxes
