"""The set page's image filters in the browser, with the keyboard: images missing a type, then those
with machine-made labels; the filter stays in the address (a reload keeps it) and Clear drops it.
Screenshots at three widths go to /tmp/shots/ and the test artifacts."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation, AnnotationType, Origin, VectorType
from e2e.conftest import ARTIFACTS
from e2e.helpers import log_in, shoot_viewports, team_with_set

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = [Path("/tmp/shots"), ARTIFACTS / "image-filters"]


def test_filter_the_set_pages_images(page, live_server, make_user, make_team, storage_dir):
    world = team_with_set(make_user, make_team, images=3)
    car = AnnotationType.objects.create(name="car", team=world["team"], vector_type=VectorType.BOUNDING_BOX)
    first, second, _ = world["images"]
    Annotation.objects.create(image=first, annotation_type=car, vector={"x1": 1, "y1": 1, "x2": 9, "y2": 9})
    Annotation.objects.create(
        image=second,
        annotation_type=car,
        vector={"x1": 2, "y1": 2, "x2": 9, "y2": 9},
        origin=Origin.MACHINE,
        model_name="m",
    )
    log_in(page, live_server, world["user"])
    page.goto(f"{live_server.url}/images/imageset/{world['set'].pk}/")
    tiles = page.locator("#image-grid .image-tile")
    expect(tiles).to_have_count(3)

    page.get_by_label("Missing labels of").select_option(label="car")
    page.locator("#image-filter-apply").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#image-filter-count")).to_have_text("1 of 3 images match the filters.")
    expect(tiles).to_have_count(1)
    expect(tiles.first).to_contain_text("img2.png")
    assert f"missing={car.pk}" in page.url
    shoot_viewports(page, "image-filters", SHOTS)

    page.get_by_label("Missing labels of").select_option("")
    page.get_by_label("Machine-made labels").check()
    page.locator("#image-filter-apply").click()
    expect(tiles).to_have_count(1)
    expect(tiles.first).to_contain_text("img1.png")
    page.reload()
    expect(page.get_by_label("Machine-made labels")).to_be_checked()
    expect(tiles).to_have_count(1)
    page.locator("#image-filter-clear").click()
    expect(tiles).to_have_count(3)
    expect(page.locator("#image-filter-count")).to_have_count(0)
