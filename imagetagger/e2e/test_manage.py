"""Manage annotations in the browser: open the page from the set page, filter, bulk delete the filtered
rows through the confirmation, see the result; then delete one row and read its history."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from annotations.models import Annotation, AnnotationHistory, AnnotationType, Verification
from e2e.helpers import log_in
from images.tests.factories import add_image_rows, make_imageset

pytestmark = pytest.mark.django_db(transaction=True)


def _label(image, annotation_type, user, number, created):
    annotation = Annotation.objects.create(
        image=image,
        annotation_type=annotation_type,
        vector={"x1": number, "y1": 0, "x2": number + 1, "y2": 1},
        user=user,
    )
    Annotation.objects.filter(pk=annotation.pk).update(time=created)
    return annotation


def test_filter_then_bulk_delete_with_confirmation(page, live_server, make_user, make_team):
    ada, bob = make_user("ada"), make_user("bob")
    team = make_team("Robots", admins=[ada], members=[bob])
    image_set = make_imageset(team, creator=ada, name="Field day")
    images = add_image_rows(image_set, 3)
    ball = AnnotationType.objects.create(name="e2e-ball")
    goal = AnnotationType.objects.create(name="e2e-goal")
    old = timezone.make_aware(datetime.datetime(2025, 12, 1, 12))
    new = timezone.make_aware(datetime.datetime(2026, 2, 1, 12))
    old_balls = [_label(images[n % 3], ball, bob, n, old) for n in range(7)]
    new_ball = _label(images[0], ball, bob, 50, new)
    old_goal = _label(images[1], goal, bob, 60, old)
    Verification.objects.create(annotation=old_balls[0], user=ada, verified=True)
    AnnotationHistory.objects.create(
        annotation=new_ball,
        annotation_uuid=new_ball.uuid,
        image=new_ball.image,
        action="create",
        user=bob,
        after={"annotation_type": ball.pk, "vector": new_ball.vector},
    )

    log_in(page, live_server, ada)
    page.goto(f"/images/imageset/{image_set.pk}/")
    page.locator("#manage-annotations-link").click()
    expect(page.locator("h1")).to_contain_text("Manage annotations of Robots/Field day")
    expect(page.locator("#manage-table tbody tr")).to_have_count(9)

    page.get_by_label("Annotation type").select_option("e2e-ball")
    page.get_by_label("Older than").fill("2026-01-01")
    page.locator("#apply-filters").click()
    expect(page.locator("#match-summary")).to_contain_text(
        "7 annotations matching: type = e2e-ball, older than 2026-01-01"
    )
    expect(page.locator("#manage-table tbody tr")).to_have_count(7)

    page.locator("#bulk-delete-button").click()
    expect(page.locator("#bulk-delete-question")).to_have_text(
        "Delete 7 annotations of set Field day matching: type = e2e-ball, older than 2026-01-01?"
    )
    assert Annotation.objects.count() == 9  # asking deletes nothing
    page.locator("#bulk-delete-confirm").click()

    expect(page.locator(".alert-success")).to_contain_text("Deleted 7 annotations of Field day.")
    expect(page.locator("#no-annotations")).to_contain_text("No annotation matches these filters.")
    expect(page.get_by_label("Annotation type")).to_have_value("e2e-ball")  # the filters are kept
    assert set(Annotation.objects.values_list("pk", flat=True)) == {new_ball.pk, old_goal.pk}
    assert AnnotationHistory.objects.filter(action="delete").count() == 7
    assert not Verification.objects.exists()

    page.locator("#clear-filters").click()
    expect(page.locator("#manage-table tbody tr")).to_have_count(2)

    # one row: delete with its confirmation, then read its history
    row = page.locator(f'tr[data-annotation-id="{old_goal.pk}"]')
    row.get_by_role("button", name=f"Delete annotation {old_goal.pk}").click()
    expect(page.locator("h1")).to_have_text("Delete this annotation?")
    page.locator("#delete-confirm").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Deleted annotation {old_goal.pk} (e2e-goal).")
    expect(page.locator("#manage-table tbody tr")).to_have_count(1)

    page.get_by_role("link", name=f"History of annotation {new_ball.pk}").click()
    expect(page.locator("h1")).to_have_text(f"History of annotation {new_ball.pk}")
    expect(page.locator("#history-table tbody tr")).to_have_count(1)
    expect(page.locator("#history-table")).to_contain_text("e2e-ball")
