"""The image-set permission function (design.md §4, spec §1.2) row by row, and the set services
(images/services.py) that enforce it: create, update, delete, set free, tags, pins, image deletion."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage

from images import services
from images.models import Image, ImageSet, SetTag
from images.permissions import imageset_permissions, memberships_by_team
from images.tests.factories import add_image_rows as add_images
from users.models import Team, TeamMembership
from users.services import remove_member

# Tests using storage_dir run with the local folder and with a bucket (moto's S3 server, conftest.storage_dir).
pytestmark = [pytest.mark.django_db, pytest.mark.storages("filesystem", "s3")]

# Every permission name the function knows, spelled out so that the tests do not trust its constants.
READ = {"read", "pin"}
PUBLIC = READ | {"create_export"}
COLLABORATION = PUBLIC | {"annotate", "verify", "edit_annotation", "delete_annotation"}
MEMBER = COLLABORATION | {"edit_set", "delete_export", "upload_images"}
ADMIN = MEMBER | {"delete_set", "delete_images", "manage_set"}
EVERYTHING = ADMIN
ADMIN_ONLY = {"delete_set", "delete_images", "manage_set"}


@pytest.fixture
def robots(make_user, make_team):
    """Team Robots: admin ada, members bob and cleo; otto is in no team; staff sam neither."""
    ada, bob, cleo = make_user("ada"), make_user("bob"), make_user("cleo")
    otto, sam = make_user("otto"), make_user("sam", is_staff=True)
    team = make_team("Robots", admins=[ada], members=[bob, cleo])
    return {"team": team, "ada": ada, "bob": bob, "cleo": cleo, "otto": otto, "sam": sam}


def make_set(team, creator, name="field", **flags):
    image_set = ImageSet.objects.create(name=name, team=team, creator=creator, **flags)
    image_set.path = f"{team.pk if team else 'free'}_{image_set.pk}"
    image_set.save(update_fields=["path"])
    return image_set


def perms(user, image_set):
    return set(imageset_permissions(user, image_set))


# --- the matrix, row by row -----------------------------------------------------------------------


def test_team_admin_gets_every_permission(robots):
    image_set = make_set(robots["team"], robots["bob"])
    assert perms(robots["ada"], image_set) == EVERYTHING


def test_member_gets_everything_but_deleting_and_managing(robots):
    image_set = make_set(robots["team"], robots["ada"])
    granted = perms(robots["bob"], image_set)
    assert granted == MEMBER
    assert not granted & ADMIN_ONLY


def test_creator_while_member_gets_admin_rights(robots):
    image_set = make_set(robots["team"], robots["bob"])
    assert perms(robots["bob"], image_set) == EVERYTHING
    # ...but not the other, non-creating member.
    assert not perms(robots["cleo"], image_set) & ADMIN_ONLY


def test_creator_after_leaving_the_team_keeps_nothing_on_a_private_set(robots):
    image_set = make_set(robots["team"], robots["bob"])
    TeamMembership.objects.filter(team=robots["team"], user=robots["bob"]).delete()
    assert perms(robots["bob"], image_set) == set()


def test_creator_after_leaving_gets_only_the_public_rights_of_a_public_set(robots):
    image_set = make_set(robots["team"], robots["bob"], public=True)
    TeamMembership.objects.filter(team=robots["team"], user=robots["bob"]).delete()
    assert perms(robots["bob"], image_set) == PUBLIC


def test_outsider_gets_nothing_on_a_private_set(robots):
    image_set = make_set(robots["team"], robots["ada"])
    assert perms(robots["otto"], image_set) == set()


def test_outsider_gets_nothing_on_a_private_set_flagged_for_collaboration(robots):
    # public_collaboration means nothing while the set is not public.
    image_set = make_set(robots["team"], robots["ada"], public_collaboration=True)
    assert perms(robots["otto"], image_set) == set()


def test_outsider_reads_and_exports_a_public_set(robots):
    image_set = make_set(robots["team"], robots["ada"], public=True)
    granted = perms(robots["otto"], image_set)
    assert granted == PUBLIC
    assert not granted & {"annotate", "verify", "edit_set", "upload_images", "delete_set"}


def test_outsider_labels_a_public_collaboration_set_but_cannot_edit_it(robots):
    image_set = make_set(robots["team"], robots["ada"], public=True, public_collaboration=True)
    granted = perms(robots["otto"], image_set)
    assert granted == COLLABORATION
    assert not granted & {"edit_set", "upload_images", "delete_images", "delete_set", "manage_set"}


def test_public_flags_add_nothing_for_members(robots):
    image_set = make_set(robots["team"], robots["ada"], public=True, public_collaboration=True)
    assert perms(robots["bob"], image_set) == MEMBER
    assert perms(robots["ada"], image_set) == EVERYTHING


def test_former_team_members_get_only_public_rights_on_a_freed_set(robots):
    image_set = make_set(robots["team"], robots["bob"])
    services.set_free(actor=robots["ada"], image_set=image_set)
    image_set.refresh_from_db()
    for name in ("ada", "bob", "cleo"):
        granted = perms(robots[name], image_set)
        assert granted == COLLABORATION, name
        assert "delete_set" not in granted


def test_staff_may_delete_a_freed_set_only(robots):
    freed = make_set(None, robots["ada"], public=True, public_collaboration=True, image_lock=True)
    owned = make_set(robots["team"], robots["ada"])
    assert perms(robots["sam"], freed) == COLLABORATION | {"delete_set"}
    # Staff get no rights on sets that still belong to a team.
    assert perms(robots["sam"], owned) == set()
    assert "delete_set" not in perms(robots["otto"], freed)


def test_a_locked_set_refuses_upload_and_image_deletion_to_everybody(robots):
    image_set = make_set(robots["team"], robots["ada"], image_lock=True)
    assert perms(robots["ada"], image_set) == EVERYTHING - {"upload_images", "delete_images"}
    assert perms(robots["bob"], image_set) == MEMBER - {"upload_images"}
    unlocked = make_set(robots["team"], robots["ada"], name="open")
    assert {"upload_images", "delete_images"} <= perms(robots["ada"], unlocked)


def test_anonymous_users_get_nothing_even_on_public_collaboration_sets(robots):
    image_set = make_set(robots["team"], robots["ada"], public=True, public_collaboration=True)
    assert perms(AnonymousUser(), image_set) == set()
    assert perms(None, image_set) == set()


def test_a_preloaded_membership_saves_the_query(robots, django_assert_num_queries):
    image_set = make_set(robots["team"], robots["ada"])
    membership = TeamMembership.objects.get(team=robots["team"], user=robots["bob"])
    with django_assert_num_queries(0):
        assert set(imageset_permissions(robots["bob"], image_set, membership=membership)) == MEMBER
        assert set(imageset_permissions(robots["otto"], image_set, membership=None)) == set()


def test_memberships_by_team_answers_in_one_query(robots, make_team, django_assert_num_queries):
    other = make_team("Others", members=[robots["bob"]])
    elsewhere = make_team("Elsewhere")
    with django_assert_num_queries(1):
        found = memberships_by_team(robots["bob"], [robots["team"].pk, other.pk, elsewhere.pk, None])
    assert set(found) == {robots["team"].pk, other.pk}
    assert memberships_by_team(AnonymousUser(), [robots["team"].pk]) == {}


def test_visible_to_lists_public_sets_and_my_teams_sets(robots, make_team):
    mine = make_set(robots["team"], robots["ada"], name="mine")
    public = make_set(make_team("Others", admins=[robots["otto"]]), robots["otto"], name="public", public=True)
    make_set(make_team("Hidden", admins=[robots["otto"]]), robots["otto"], name="hidden")
    freed = make_set(None, None, name="freed", public=True)

    def visible(user):
        return set(ImageSet.objects.visible_to(user).values_list("name", flat=True))

    assert visible(robots["bob"]) == {mine.name, public.name, freed.name}
    assert visible(robots["otto"]) == {"public", "hidden", "freed"}
    assert visible(AnonymousUser()) == set()


# --- create ---------------------------------------------------------------------------------------


def test_any_member_creates_a_set_with_its_storage_folder_name(robots):
    image_set = services.create_imageset(actor=robots["bob"], team=robots["team"], name="  Field day ")
    assert image_set.name == "Field day"
    assert image_set.creator == robots["bob"]
    assert image_set.path == f"{robots['team'].pk}_{image_set.pk}"
    assert not image_set.public


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_create_refuses_bad_names(robots, name):
    with pytest.raises(ValidationError) as error:
        services.create_imageset(actor=robots["ada"], team=robots["team"], name=name)
    assert "name" in error.value.message_dict
    assert not ImageSet.objects.exists()


def test_create_refuses_a_duplicate_name_in_the_same_team_in_any_case(robots):
    services.create_imageset(actor=robots["ada"], team=robots["team"], name="Field")
    with pytest.raises(ValidationError) as error:
        services.create_imageset(actor=robots["bob"], team=robots["team"], name="fIELD")
    assert error.value.message_dict["name"] == ["This team already has an image set with this name."]
    assert ImageSet.objects.count() == 1


def test_the_same_name_is_fine_in_another_team(robots, make_team):
    other = make_team("Others", admins=[robots["ada"]])
    services.create_imageset(actor=robots["ada"], team=robots["team"], name="Field")
    services.create_imageset(actor=robots["ada"], team=other, name="Field")
    assert ImageSet.objects.filter(name="Field").count() == 2


def test_non_members_cannot_create_sets_for_a_team(robots):
    with pytest.raises(PermissionDenied):
        services.create_imageset(actor=robots["otto"], team=robots["team"], name="Field")
    with pytest.raises(PermissionDenied):
        services.create_imageset(actor=robots["sam"], team=robots["team"], name="Field")
    assert not ImageSet.objects.exists()


def test_create_clears_collaboration_on_private_sets(robots):
    image_set = services.create_imageset(
        actor=robots["ada"], team=robots["team"], name="Field", public=False, public_collaboration=True
    )
    assert not image_set.public_collaboration


# --- update ---------------------------------------------------------------------------------------


def test_member_edits_details(robots):
    image_set = make_set(robots["team"], robots["ada"])
    services.update_imageset(
        actor=robots["bob"], image_set=image_set, name="Meadow", location="Hamburg", description="Spring", priority=1
    )
    image_set.refresh_from_db()
    assert (image_set.name, image_set.location, image_set.description, image_set.priority) == (
        "Meadow",
        "Hamburg",
        "Spring",
        1,
    )


@pytest.mark.parametrize("change", [{"public": True}, {"image_lock": True}, {"public_collaboration": True}])
def test_member_cannot_change_visibility_or_lock(robots, change):
    image_set = make_set(robots["team"], robots["ada"])
    with pytest.raises(PermissionDenied):
        services.update_imageset(actor=robots["bob"], image_set=image_set, name="Renamed", **change)
    image_set.refresh_from_db()
    assert image_set.name == "field"
    assert not image_set.public
    assert not image_set.image_lock
    assert not image_set.public_collaboration


def test_member_may_send_unchanged_visibility_values(robots):
    image_set = make_set(robots["team"], robots["ada"])
    services.update_imageset(actor=robots["bob"], image_set=image_set, name="Renamed", public=False, image_lock=False)
    image_set.refresh_from_db()
    assert image_set.name == "Renamed"


@pytest.mark.parametrize("who", ["ada", "creator"])
def test_admin_and_creator_change_visibility_and_lock(robots, who):
    image_set = make_set(robots["team"], robots["cleo"])
    actor = robots["cleo"] if who == "creator" else robots["ada"]
    services.update_imageset(actor=actor, image_set=image_set, public=True, public_collaboration=True, image_lock=True)
    image_set.refresh_from_db()
    assert (image_set.public, image_set.public_collaboration, image_set.image_lock) == (True, True, True)


def test_making_a_set_private_clears_collaboration(robots):
    image_set = make_set(robots["team"], robots["ada"], public=True, public_collaboration=True)
    services.update_imageset(actor=robots["ada"], image_set=image_set, public=False)
    image_set.refresh_from_db()
    assert not image_set.public
    assert not image_set.public_collaboration


def test_renaming_onto_another_set_of_the_team_is_refused(robots):
    make_set(robots["team"], robots["ada"], name="taken")
    image_set = make_set(robots["team"], robots["ada"])
    with pytest.raises(ValidationError) as error:
        services.update_imageset(actor=robots["ada"], image_set=image_set, name="TAKEN")
    assert "name" in error.value.message_dict
    image_set.refresh_from_db()
    assert image_set.name == "field"


def test_outsiders_and_unknown_fields_are_refused(robots):
    image_set = make_set(robots["team"], robots["ada"], public=True, public_collaboration=True)
    with pytest.raises(PermissionDenied):
        services.update_imageset(actor=robots["otto"], image_set=image_set, name="Mine")
    with pytest.raises(ValidationError):
        services.update_imageset(actor=robots["ada"], image_set=image_set, team=None)
    image_set.refresh_from_db()
    assert image_set.team == robots["team"]
    assert image_set.name == "field"


# --- delete ---------------------------------------------------------------------------------------


def test_delete_removes_rows_now_and_files_after_commit(robots, storage_dir, django_capture_on_commit_callbacks):
    image_set = make_set(robots["team"], robots["ada"])
    images = add_images(image_set, 2, with_files=True, with_thumbnails=True)
    services.add_tag(actor=robots["ada"], image_set=image_set, name="meadow")
    paths = [path for image in images for path in (image.relative_path, image.thumbnail_path)]
    assert all(default_storage.exists(path) for path in paths)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.delete_imageset(actor=robots["ada"], image_set=image_set)
        assert not ImageSet.objects.exists()
        assert not Image.objects.exists()
        # Until the transaction commits, the files stay (a rollback must not lose them).
        assert all(default_storage.exists(path) for path in paths)
    for callback in callbacks:
        callback()

    assert not any(default_storage.exists(path) for path in paths)
    assert not SetTag.objects.filter(name="meadow").exists()
    assert SetTag.objects.filter(name="test").exists()


@pytest.mark.parametrize("who", ["bob", "otto", "sam"])
def test_delete_is_refused_to_members_outsiders_and_staff_of_owned_sets(robots, who):
    image_set = make_set(robots["team"], robots["ada"], public=True)
    with pytest.raises(PermissionDenied):
        services.delete_imageset(actor=robots[who], image_set=image_set)
    assert ImageSet.objects.filter(pk=image_set.pk).exists()


def test_the_creator_may_delete_while_a_member(robots):
    image_set = make_set(robots["team"], robots["bob"])
    services.delete_imageset(actor=robots["bob"], image_set=image_set)
    assert not ImageSet.objects.exists()


# --- set free -------------------------------------------------------------------------------------


def test_admin_sets_a_set_free(robots):
    image_set = make_set(robots["team"], robots["ada"])
    services.set_free(actor=robots["ada"], image_set=image_set)
    image_set.refresh_from_db()
    assert image_set.team is None
    assert (image_set.public, image_set.public_collaboration, image_set.image_lock) == (True, True, True)


def test_members_may_not_set_a_set_free(robots):
    image_set = make_set(robots["team"], robots["ada"])
    with pytest.raises(PermissionDenied):
        services.set_free(actor=robots["bob"], image_set=image_set)
    image_set.refresh_from_db()
    assert image_set.team == robots["team"]
    assert not image_set.public


def test_a_free_set_cannot_be_set_free_again_and_only_staff_delete_it(robots):
    image_set = make_set(robots["team"], robots["ada"])
    services.set_free(actor=robots["ada"], image_set=image_set)
    with pytest.raises(ValidationError):
        services.set_free(actor=robots["sam"], image_set=image_set)
    with pytest.raises(PermissionDenied):
        services.delete_imageset(actor=robots["ada"], image_set=image_set)
    services.delete_imageset(actor=robots["sam"], image_set=image_set)
    assert not ImageSet.objects.exists()


def test_the_last_member_leaving_sets_the_team_sets_free(robots, make_user, make_team):
    solo = make_user("solo")
    team = make_team("Solo", admins=[solo])
    first = make_set(team, solo, name="one")
    second = make_set(team, solo, name="two", public=True)

    removal = remove_member(actor=solo, team=team, user=solo)

    assert removal.team_deleted
    assert not Team.objects.filter(pk=team.pk).exists()
    for image_set in (first, second):
        image_set.refresh_from_db()
        assert image_set.team is None
        assert (image_set.public, image_set.public_collaboration, image_set.image_lock) == (True, True, True)


def test_leaving_is_one_transaction_with_freeing_the_sets(robots, make_user, make_team, monkeypatch):
    solo = make_user("solo")
    team = make_team("Solo", admins=[solo])
    image_set = make_set(team, solo)

    def broken_delete(self, *args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Team, "delete", broken_delete)
    with pytest.raises(RuntimeError):
        remove_member(actor=solo, team=team, user=solo)

    image_set.refresh_from_db()
    assert image_set.team_id == team.pk
    assert not image_set.public
    assert TeamMembership.objects.filter(team=team, user=solo).exists()


def test_a_member_leaving_a_team_with_others_left_keeps_its_sets(robots):
    image_set = make_set(robots["team"], robots["bob"])
    remove_member(actor=robots["bob"], team=robots["team"], user=robots["bob"])
    image_set.refresh_from_db()
    assert image_set.team == robots["team"]
    assert not image_set.public


# --- tags -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "name"),
    [("My Tag,&x", "my_tagx"), ("  Night  ", "night"), ("a  b", "a_b"), ("x=1?#/\\%", "x1"), ("ÄPFEL", "äpfel")],
)
def test_tag_names_are_normalised(raw, name):
    assert services.normalise_tag_name(raw) == name


@pytest.mark.parametrize("raw", ["", "   ", ",&=?", "x" * 101])
def test_empty_or_long_tag_names_are_refused(raw):
    with pytest.raises(ValidationError):
        services.normalise_tag_name(raw)


def test_members_add_tags_once(robots):
    image_set = make_set(robots["team"], robots["ada"])
    tag, added = services.add_tag(actor=robots["bob"], image_set=image_set, name="My Tag,&x")
    assert (tag.name, added) == ("my_tagx", True)
    tag_again, added_again = services.add_tag(actor=robots["bob"], image_set=image_set, name="my_tagx")
    assert (tag_again.pk, added_again) == (tag.pk, False)
    assert list(image_set.set_tags.values_list("name", flat=True)) == ["my_tagx"]


def test_outsiders_cannot_tag_even_public_collaboration_sets(robots):
    image_set = make_set(robots["team"], robots["ada"], public=True, public_collaboration=True)
    with pytest.raises(PermissionDenied):
        services.add_tag(actor=robots["otto"], image_set=image_set, name="mine")
    services.add_tag(actor=robots["ada"], image_set=image_set, name="theirs")
    with pytest.raises(PermissionDenied):
        services.remove_tag(actor=robots["otto"], image_set=image_set, name="theirs")
    assert not SetTag.objects.filter(name="mine").exists()
    assert image_set.set_tags.filter(name="theirs").exists()


def test_orphan_tags_are_deleted_but_test_stays(robots):
    first = make_set(robots["team"], robots["ada"], name="first")
    second = make_set(robots["team"], robots["ada"], name="second")
    for image_set in (first, second):
        services.add_tag(actor=robots["ada"], image_set=image_set, name="shared")
    services.add_tag(actor=robots["ada"], image_set=first, name="lonely")
    services.add_tag(actor=robots["ada"], image_set=first, name="test")

    services.remove_tag(actor=robots["ada"], image_set=first, name="shared")
    services.remove_tag(actor=robots["ada"], image_set=first, name="lonely")
    services.remove_tag(actor=robots["ada"], image_set=first, name="test")

    assert SetTag.objects.filter(name="shared").exists()  # still on the second set
    assert not SetTag.objects.filter(name="lonely").exists()
    assert SetTag.objects.filter(name="test").exists()
    assert not first.set_tags.exists()


def test_removing_a_tag_the_set_does_not_have_is_an_error(robots):
    image_set = make_set(robots["team"], robots["ada"])
    with pytest.raises(ValidationError):
        services.remove_tag(actor=robots["ada"], image_set=image_set, name="never")
    other = make_set(robots["team"], robots["ada"], name="other")
    services.add_tag(actor=robots["ada"], image_set=other, name="elsewhere")
    with pytest.raises(ValidationError):
        services.remove_tag(actor=robots["ada"], image_set=image_set, name="elsewhere")
    assert other.set_tags.filter(name="elsewhere").exists()


def test_deleting_a_set_keeps_tags_other_sets_use(robots):
    first = make_set(robots["team"], robots["ada"], name="first")
    second = make_set(robots["team"], robots["ada"], name="second")
    for image_set in (first, second):
        services.add_tag(actor=robots["ada"], image_set=image_set, name="shared")
    services.delete_imageset(actor=robots["ada"], image_set=first)
    assert list(second.set_tags.values_list("name", flat=True)) == ["shared"]


# --- pins -----------------------------------------------------------------------------------------


def test_readers_pin_and_unpin(robots):
    image_set = make_set(robots["team"], robots["ada"], public=True)
    services.set_pinned(actor=robots["otto"], image_set=image_set, pinned=True)
    services.set_pinned(actor=robots["otto"], image_set=image_set, pinned=True)
    assert list(image_set.pinned_by.all()) == [robots["otto"]]
    services.set_pinned(actor=robots["otto"], image_set=image_set, pinned=False)
    assert not image_set.pinned_by.exists()


def test_nobody_pins_a_set_they_cannot_read(robots):
    image_set = make_set(robots["team"], robots["ada"])
    with pytest.raises(PermissionDenied):
        services.set_pinned(actor=robots["otto"], image_set=image_set, pinned=True)
    assert not image_set.pinned_by.exists()


# --- image deletion -------------------------------------------------------------------------------


def test_admin_deletes_images_and_the_files_go_after_commit(robots, storage_dir, django_capture_on_commit_callbacks):
    image_set = make_set(robots["team"], robots["ada"])
    doomed, kept = add_images(image_set, 2, with_files=True, with_thumbnails=True)
    version = image_set.content_version

    with django_capture_on_commit_callbacks(execute=True):
        count = services.delete_images(actor=robots["ada"], image_set=image_set, image_ids=[doomed.pk])

    assert count == 1
    assert list(image_set.images.all()) == [kept]
    assert not default_storage.exists(doomed.relative_path)
    assert not default_storage.exists(doomed.thumbnail_path)
    assert default_storage.exists(kept.relative_path)
    image_set.refresh_from_db()
    assert image_set.content_version == version + 1


def test_members_may_not_delete_images(robots):
    image_set = make_set(robots["team"], robots["ada"])
    (image,) = add_images(image_set, 1)
    with pytest.raises(PermissionDenied):
        services.delete_images(actor=robots["bob"], image_set=image_set, image_ids=[image.pk])
    assert Image.objects.filter(pk=image.pk).exists()


def test_nobody_deletes_images_of_a_locked_set(robots):
    image_set = make_set(robots["team"], robots["ada"], image_lock=True)
    (image,) = add_images(image_set, 1)
    with pytest.raises(PermissionDenied):
        services.delete_images(actor=robots["ada"], image_set=image_set, image_ids=[image.pk])
    assert Image.objects.filter(pk=image.pk).exists()


def test_images_of_another_set_are_refused_and_nothing_is_deleted(robots):
    image_set = make_set(robots["team"], robots["ada"])
    other = make_set(robots["team"], robots["ada"], name="other")
    (mine,) = add_images(image_set, 1)
    (theirs,) = add_images(other, 1)
    with pytest.raises(ValidationError):
        services.delete_images(actor=robots["ada"], image_set=image_set, image_ids=[mine.pk, theirs.pk])
    assert Image.objects.count() == 2
