"""Builders for the vote and points tests.

build_vote_world(make_user, make_team) -> a VoteWorld: team Robots (admin ada, members bob and cara),
    an outsider otto, a private set, a public read-only set and a public collaborative set, one
    image each, and a box type.
label(image, user, annotation_type)    -> an Annotation made directly (no rules, no votes)
expected_points(user)                  -> the points ``user`` should have, counted from the votes
"""

import itertools
from dataclasses import dataclass

from annotations.models import Annotation, AnnotationType, VectorType
from annotations.votes import accepts_from_others
from images.models import Image, ImageSet
from images.tests.factories import add_image_rows, make_imageset

_counter = itertools.count(1)


@dataclass
class VoteWorld:
    ada: object
    bob: object
    cara: object
    otto: object
    team: object
    private: ImageSet
    public: ImageSet
    collaborative: ImageSet
    box: AnnotationType

    def image(self, image_set, count=1):
        images = add_image_rows(image_set, count, start=next(_counter) * 1000)
        return images[0] if count == 1 else images


def build_vote_world(make_user, make_team):
    ada, bob, cara, otto = (make_user(name) for name in ("ada", "bob", "cara", "otto"))
    team = make_team("Robots", admins=[ada], members=[bob, cara])
    box, _ = AnnotationType.objects.get_or_create(name="votebox", defaults={"vector_type": VectorType.BOUNDING_BOX})
    return VoteWorld(
        ada=ada,
        bob=bob,
        cara=cara,
        otto=otto,
        team=team,
        private=make_imageset(team, creator=ada),
        public=make_imageset(team, creator=ada, public=True),
        collaborative=make_imageset(team, creator=ada, public=True, public_collaboration=True),
        box=box,
    )


def label(image: Image, user, annotation_type):
    """An annotation by ``user``: a distinct box each time (created directly, so no similarity rule)."""
    offset = next(_counter)
    return Annotation.objects.create(
        image=image,
        annotation_type=annotation_type,
        vector={"x1": offset, "y1": 0, "x2": offset + 1, "y2": 1},
        user=user,
    )


def expected_points(user):
    return accepts_from_others().filter(annotation__user=user).count()
