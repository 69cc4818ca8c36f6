"""``manage.py loaddemo``: demo data through the real services, idempotent, ``--if-empty``."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db.models import F

from annotations.models import Annotation, AnnotationType, Origin, VectorType, Verification
from annotations.votes import accepts_from_others
from images.models import Image, ImageSet
from users.management.commands import loaddemo
from users.models import Team, TeamMembership

pytestmark = pytest.mark.django_db
User = get_user_model()


def run(*args):
    out = io.StringIO()
    call_command("loaddemo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (User, Team, TeamMembership, ImageSet, Image, AnnotationType, Annotation, Verification)
    }


def test_loads_a_living_site_once(storage_dir):
    output = run("--if-empty")

    assert f"password '{loaddemo.DEMO_PASSWORD}'" in output
    admin = User.objects.get(username=loaddemo.ADMIN)
    assert admin.is_staff
    assert admin.is_superuser
    assert User.objects.get(username="demo-anna").check_password(loaddemo.DEMO_PASSWORD)
    team = Team.objects.get(name=loaddemo.TEAM_NAME)
    assert {(m.user.username, m.is_admin) for m in team.memberships.select_related("user")} == {
        ("demo-admin", True),
        ("demo-anna", False),
        ("demo-ben", False),
    }
    image_set = ImageSet.objects.get(team=team, name=loaddemo.SET_NAME)
    assert image_set.public
    assert sorted(image_set.set_tags.values_list("name", flat=True)) == ["demo", "shapes"]
    images = list(image_set.images.select_related("image_set"))
    assert len(images) == loaddemo.IMAGE_COUNT
    assert all(image.width == loaddemo.WIDTH and image.height == loaddemo.HEIGHT for image in images)
    assert all(default_storage.exists(image.relative_path) for image in images)
    assert all(image.format == "jpeg" for image in images)
    assert set(AnnotationType.objects.values_list("vector_type", flat=True)) == set(VectorType.values)
    # the team's own schema: its types, distinct colours, attributes filled in, an image tag
    team_types = AnnotationType.objects.filter(team=team)
    assert team_types.count() == len(loaddemo.TYPES)
    assert len(set(team_types.values_list("color", flat=True))) == len(loaddemo.TYPES)
    assert Annotation.objects.filter(annotation_type__name="ellipse").exclude(attributes={}).exists()
    assert Annotation.objects.filter(annotation_type__vector_type=VectorType.TAG, attributes__shapes=5).exists()
    annotations = Annotation.objects.filter(image__image_set=image_set)
    labelled = annotations.values("image").distinct().count()
    assert 0 < labelled <= loaddemo.LABELLED_IMAGES  # the other images are left to label
    assert annotations.filter(origin=Origin.MACHINE).exists()
    assert annotations.values("user").distinct().count() == 3
    assert Verification.objects.filter(verified=True).exists()
    assert Verification.objects.filter(verified=False).exists()
    assert not Verification.objects.filter(user=F("annotation__user")).exists()  # nobody votes on their own
    for user in User.objects.all():  # points went through the vote service
        assert user.points == accepts_from_others().filter(annotation__user=user).count()
    assert sum(User.objects.values_list("points", flat=True)) > 0

    before = counts()
    run()
    assert counts() == before
    assert "the site has users already" in run("--if-empty")
    assert counts() == before


def test_if_empty_does_nothing_when_any_user_exists(storage_dir, make_user):
    make_user("somebody")
    assert "Demo data not loaded" in run("--if-empty")
    assert User.objects.count() == 1
    assert not Team.objects.exists()
    assert not ImageSet.objects.exists()


def test_keeps_existing_demo_users_and_team(storage_dir, make_user, make_team):
    anna = make_user("demo-anna")
    make_team("demo", admins=[anna])  # somebody else's team of that name

    run()

    anna.refresh_from_db()
    assert anna.check_password("a-Long-test-password-7")  # not reset
    assert Team.objects.count() == 1
    assert list(Team.objects.get().memberships.values_list("user__username", flat=True)) == ["demo-anna"]
    assert User.objects.filter(username__in=["demo-admin", "demo-ben"]).count() == 2
    assert not ImageSet.objects.exists()  # demo-admin may not create sets in somebody else's team
