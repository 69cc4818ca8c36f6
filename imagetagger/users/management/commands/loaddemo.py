"""``manage.py loaddemo``: a small living site for newcomers (``make run`` calls it with ``--if-empty``).

It makes a team "Demo" with three users (``demo-admin``: site staff and superuser, team admin;
``demo-anna`` and ``demo-ben``: members), all with the password ``DEMO_PASSWORD``; one public image set
"Demo shapes" of generated pictures (ellipses, triangles, lines, points) added through the real
ingest; the team's own label types, one for every vector type and an image tag, each with its
colour and some with attributes; labels with attribute values by the three users and a "machine" over the
last weeks (some images are left for you to label), and votes, so that the leaderboards, the profile
pages and the statistics show something.

Everything goes through the same services as the site (permissions, validation, points), except
that the labels' and votes' times are spread over the past afterwards. It can run again: what exists
is kept and nothing is duplicated. ``--if-empty`` does nothing at all when the site has any user.
"""

import io
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw

from annotations import services as annotation_services
from annotations import types as type_services
from annotations import votes
from annotations.models import Annotation, AnnotationType, Origin, VectorType, Verification
from images import services as image_services
from images.ingest import ADDED, add_image_file
from images.models import ImageSet
from users import services as user_services
from users.models import Team

DEMO_PASSWORD = "imagetagger-demo"
ADMIN = "demo-admin"
MEMBERS = ("demo-anna", "demo-ben")
TEAM_NAME = "Demo"
SET_NAME = "Demo shapes"
IMAGE_COUNT = 20
# The last images stay unlabelled, so "next image to annotate" has work to hand out.
LABELLED_IMAGES = 14
WIDTH, HEIGHT = 320, 240
# name: (vector type, node count); the team's own types.
TYPES = {
    "ellipse": (VectorType.BOUNDING_BOX, 0),
    "triangle": (VectorType.POLYGON, 3),
    "stick": (VectorType.LINE, 0),
    "zigzag": (VectorType.MULTI_LINE, 0),
    "dot": (VectorType.POINT, 0),
    "crowded": (VectorType.TAG, 0),
}
# Attribute definitions of some types, and how the demo labels fill them in.
ATTRIBUTES = {
    "ellipse": [
        {"name": "filled", "kind": "checkbox"},
        {"name": "size", "kind": "select", "values": ["small", "medium", "large"], "required": True},
    ],
    "triangle": [{"name": "pointing", "kind": "select", "values": ["up", "down", "left", "right"]}],
    "crowded": [{"name": "shapes", "kind": "number", "min": 0, "max": 10, "step": 1}],
}
# Share of the labelled images that get the "crowded" tag.
TAGGED_SHARE = 0.3
MACHINE = {"origin": Origin.MACHINE, "model_name": "demo-detector", "confidence": 0.87}


def _shapes(rng):
    """One shape of every type, as the vectors to label them with, kept apart from each other."""
    cell_width, cell_height = WIDTH // 3, HEIGHT // 2
    cells = [(column * cell_width, row * cell_height) for column in range(3) for row in range(2)]
    rng.shuffle(cells)

    def inside(cell):
        left, top = cell
        return (
            rng.randint(left + 8, left + cell_width // 2 - 4),
            rng.randint(top + 8, top + cell_height // 2 - 4),
            rng.randint(left + cell_width // 2 + 4, left + cell_width - 8),
            rng.randint(top + cell_height // 2 + 4, top + cell_height - 8),
        )

    x1, y1, x2, y2 = inside(cells[0])
    ellipse = {"x1": x1, "y1": y1, "x2": x2, "y2": y2}
    x1, y1, x2, y2 = inside(cells[1])
    triangle = {"x1": x1, "y1": y2, "x2": (x1 + x2) // 2, "y2": y1, "x3": x2, "y3": y2}
    x1, y1, x2, y2 = inside(cells[2])
    stick = {"x1": x1, "y1": y1, "x2": x2, "y2": y2}
    x1, y1, x2, y2 = inside(cells[3])
    middle = (x1 + x2) // 2
    zigzag = {"x1": x1, "y1": y2, "x2": (x1 + middle) // 2, "y2": y1, "x3": middle, "y3": y2, "x4": x2, "y4": y1}
    x1, y1, _, _ = inside(cells[4])
    dot = {"x1": x1, "y1": y1}
    return {"ellipse": ellipse, "triangle": triangle, "stick": stick, "zigzag": zigzag, "dot": dot}


def _points(vector):
    return [(vector[f"x{n}"], vector[f"y{n}"]) for n in range(1, len(vector) // 2 + 1)]


def _picture(rng, shapes):
    """A JPEG showing ``shapes`` on a tinted background."""
    background = tuple(rng.randint(200, 250) for _ in range(3))
    picture = PILImage.new("RGB", (WIDTH, HEIGHT), background)
    draw = ImageDraw.Draw(picture)
    box = shapes["ellipse"]
    draw.ellipse((box["x1"], box["y1"], box["x2"], box["y2"]), fill=(0, 114, 178))
    draw.polygon(_points(shapes["triangle"]), fill=(230, 159, 0))
    draw.line(_points(shapes["stick"]), fill=(0, 0, 0), width=3)
    draw.line(_points(shapes["zigzag"]), fill=(0, 158, 115), width=3)
    dot = shapes["dot"]
    draw.ellipse((dot["x1"] - 3, dot["y1"] - 3, dot["x1"] + 3, dot["y1"] + 3), fill=(213, 94, 0))
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    out.seek(0)
    return out


class Command(BaseCommand):
    help = (
        "Load demo data: team 'Demo', users demo-admin (staff), demo-anna and demo-ben "
        f"(password '{DEMO_PASSWORD}'), an image set of generated pictures with labels and votes. "
        "Safe to run again; --if-empty does nothing when any user exists."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the site has any user (used by `make run`)."
        )

    def handle(self, *args, if_empty=False, **options):
        if if_empty and get_user_model().objects.exists():
            self.stdout.write("Demo data not loaded: the site has users already.")
            return
        rng = random.Random(7)
        with transaction.atomic():
            admin, members = self._users()
            team = self._team(admin, members)
            if team is None:
                self.stderr.write(
                    f"A team named {TEAM_NAME} exists without {ADMIN}: its image sets are left alone. "
                    "Rename it to load the demo image set."
                )
                return
            image_set = self._image_set(admin, team)
            types = self._types(admin, team)
        images = self._images(admin, image_set, rng)
        self._labels(admin, members, image_set, images, types, rng)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: log in as {ADMIN} (site staff) or {', '.join(MEMBERS)} "
                f"with the password '{DEMO_PASSWORD}'. Image set: {image_set.get_absolute_url()}"
            )
        )

    def _users(self):
        users = get_user_model().objects
        made = []
        for username in (ADMIN, *MEMBERS):
            user = users.filter(username__iexact=username).first()
            if user is None:
                staff = username == ADMIN
                user = users.create_user(
                    username=username,
                    email=f"{username}@example.org",
                    password=DEMO_PASSWORD,
                    is_staff=staff,
                    is_superuser=staff,
                )
                self.stdout.write(f"Created user {username}.")
            made.append(user)
        return made[0], made[1:]

    def _team(self, admin, members):
        """The demo team with the members in it; None when a team of that name is somebody else's."""
        team = Team.objects.filter(name__iexact=TEAM_NAME).first()
        if team is None:
            team = user_services.create_team(creator=admin, name=TEAM_NAME)
            self.stdout.write(f"Created team {TEAM_NAME}.")
        if not team.memberships.filter(user=admin).exists():
            return None  # somebody else's team of that name: leave it alone
        for member in members:
            if not team.memberships.filter(user=member).exists():
                user_services.add_member(actor=admin, team=team, username=member.username)
        return team

    def _image_set(self, admin, team):
        image_set = ImageSet.objects.filter(team=team, name=SET_NAME).first()
        if image_set is None:
            image_set = image_services.create_imageset(
                actor=admin,
                team=team,
                name=SET_NAME,
                location="generated by manage.py loaddemo",
                description="Pictures of simple shapes: one of every annotation type on each.",
                public=True,
                priority=1,
            )
            for tag in ("demo", "shapes"):
                image_services.add_tag(actor=admin, image_set=image_set, name=tag)
            self.stdout.write(f"Created image set {SET_NAME}.")
        return image_set

    def _types(self, admin, team):
        """The team's label types (kept when they exist: a re-run changes nothing)."""
        types = {}
        for order, (name, (vector_type, node_count)) in enumerate(TYPES.items(), start=1):
            existing = AnnotationType.objects.filter(team=team, name__iexact=name).first()
            types[name] = existing or type_services.create_type(
                actor=admin,
                team=team,
                name=name,
                vector_type=vector_type,
                node_count=node_count,
                attributes=ATTRIBUTES.get(name),
                sort_order=order,
                shortcut=order,
            )
        return types

    @staticmethod
    def _attribute_values(name, rng):
        if name == "ellipse":
            return {"filled": rng.random() < 0.5, "size": rng.choice(["small", "medium", "large"])}
        if name == "triangle":
            return {"pointing": rng.choice(["up", "down", "left", "right"])}
        return None

    def _images(self, admin, image_set, rng):
        """The set's demo images with the shapes drawn on them; they are added only while the set has
        no images (the shapes come from the seeded generator, so a re-run knows them again)."""
        shapes = {f"shapes_{number:02d}.jpg": _shapes(rng) for number in range(1, IMAGE_COUNT + 1)}
        if not image_set.images.exists():
            for name, image_shapes in shapes.items():
                result = add_image_file(image_set, name=name, fileobj=_picture(rng, image_shapes), uploader=admin)
                if result.status != ADDED:
                    self.stderr.write(f"{name} was not added: {result.reason}")
            self.stdout.write(f"Added {image_set.images.count()} images.")
        images = image_set.images.filter(name__in=list(shapes)).order_by("name")
        return [(image, shapes[image.name]) for image in images]

    def _labels(self, admin, members, image_set, images, types, rng):
        """Labels on the first images (only when the set has none yet), then votes by other users."""
        if not images or Annotation.objects.filter(image__image_set=image_set).exists():
            return
        people = [admin, *members]
        now = timezone.now()
        made = []
        for number, (image, image_shapes) in enumerate(images[:LABELLED_IMAGES]):
            for name, vector in image_shapes.items():
                if rng.random() < 0.15:
                    continue  # a few left out, so the statistics show missing labels
                by_machine = name == "ellipse" and number % 3 == 0
                author = admin if by_machine else rng.choice(people)
                extra = MACHINE if by_machine else {}
                annotation, _ = annotation_services.create_annotation(
                    actor=author,
                    image=image,
                    annotation_type=types[name],
                    vector=vector,
                    attributes=self._attribute_values(name, rng),
                    **extra,
                )
                made.append((annotation, author))
            if rng.random() < TAGGED_SHARE:
                author = rng.choice(people)
                tag, _ = annotation_services.create_annotation(
                    actor=author,
                    image=image,
                    annotation_type=types["crowded"],
                    vector=None,
                    attributes={"shapes": len(image_shapes)},
                )
                made.append((tag, author))
        for annotation, author in made:
            for voter in people:
                if voter != author and rng.random() < 0.5:
                    vote = votes.ACCEPT if rng.random() < 0.8 else votes.REJECT
                    votes.cast_vote(actor=voter, annotation=annotation, vote=vote)
        # Spread the work over the past weeks, so that the charts and the 30-day board have a history.
        for annotation, _ in made:
            when = now - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 600))
            voted = min(now, when + timedelta(hours=rng.randint(1, 72)))
            Annotation.objects.filter(pk=annotation.pk).update(time=when, last_edit_time=when)
            Verification.objects.filter(annotation=annotation).update(time=voted)
        vote_count = Verification.objects.filter(annotation__image__image_set=image_set).count()
        self.stdout.write(f"Added {len(made)} labels and {vote_count} votes.")
