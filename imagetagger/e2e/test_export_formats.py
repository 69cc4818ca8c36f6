"""Create an export format from the set page: ready-made formats to start from, the live preview updating as
one types, and its check that JSON lines and CSV parse."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.conftest import ARTIFACTS
from e2e.helpers import log_in, shoot_viewports
from exports.models import ExportFormat
from exports.tests.format_factories import box, make_annotation, make_image, make_set, make_type

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = [Path("/tmp/shots"), ARTIFACTS / "export-formats"]


def test_create_format_with_live_preview(page, live_server, make_user, make_team):
    user = make_user("maker")
    team = make_team("Robots", admins=[user])
    image_set = make_set(team, "Field")
    ball = make_type("ball")
    make_annotation(make_image(image_set, "a.png"), ball, box(10, 20, 110, 220), blurred=True)

    log_in(page, live_server, user)
    page.goto(f"/images/imageset/{image_set.pk}/")
    page.locator("#create-format").click()
    expect(page.locator("#row-image_format")).to_be_hidden()
    page.get_by_label("Name", exact=True).fill("lines")
    page.get_by_label("Annotation types").select_option(label="ball")
    # Prefilled with JSON lines, previewed as soon as a type is chosen, and checked.
    expect(page.locator("#preview-output")).to_contain_text('{"image": "a.png", "image_id": ')
    expect(page.locator("#preview-output")).to_contain_text('"vector": {"x1": 10, "y1": 20, "x2": 110, "y2": 220 }')
    expect(page.locator("#preview-check")).to_have_text("Valid JSON lines: 1 line parsed.")
    line = page.locator("#preview-output").text_content().splitlines()[0]
    assert json.loads(line)["blurred"] is True
    shoot_viewports(page, "format-presets", SHOTS)
    # A trailing comma is caught and named.
    page.get_by_label("Vector format", exact=True).fill('"x%%count1": %%x, "y%%count1": %%y,')
    expect(page.locator("#preview-check")).to_contain_text("Line 1 is not JSON")
    expect(page.locator("#preview-check")).to_have_attribute("data-ok", "false")
    # The CSV preset: a header and a row, checked as CSV.
    page.get_by_label("Start from").select_option(label="CSV with a header (boxes)")
    expect(page.locator("#preview-output")).to_contain_text(
        "image,type,score,min_x,min_y,max_x,max_y,blurred,concealed"
    )
    expect(page.locator("#preview-check")).to_have_text("Valid CSV: 2 rows of 9 fields.")
    # The original's label lines: plain text, not checked.
    page.get_by_label("Start from").select_option(label="Label lines (the label import reads them)")
    expect(page.locator("#preview-output")).to_contain_text('a.png|ball|{"x1": 10, "y1": 20, "x2": 110, "y2": 220 }|b')
    expect(page.locator("#preview-check")).to_be_hidden()
    page.get_by_label("Annotation format", exact=True).fill("%%imagename|%%type|%%ifblurredb%%endif|%%cx")
    expect(page.locator("#preview-output")).to_contain_text("a.png|ball|b|60.0")
    page.get_by_label("Base format", exact=True).fill("no content")
    expect(page.locator("#preview-errors")).to_contain_text("must contain %%content")
    page.get_by_label("Base format", exact=True).fill("BEGIN\n%%content")
    page.get_by_label("Group annotations by images").check()
    expect(page.locator("#row-image_format")).to_be_visible()
    page.get_by_label("Image format", exact=True).fill("[%%imagename %%annoamount]%%annotations")
    expect(page.locator("#preview-output")).to_contain_text("[a.png 1]a.png|ball|b|60.0")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#set-format-list")).to_contain_text("Robots/lines")
    assert ExportFormat.objects.get(name="lines").base_format == "BEGIN\n%%content"


def test_the_default_format_exports_parseable_lines_and_names_the_label_it_left_out(
    page, live_server, make_user, make_team
):
    from annotations.models import Verification

    user, voter = make_user("maker"), make_user("voter")
    team = make_team("Robots", admins=[user], members=[voter])
    image_set = make_set(team, "Field")
    ball = make_type("ball")
    image = make_image(image_set, 'a "b", c.png')
    make_annotation(image, ball, box(10, 20, 110, 220))
    doubted = make_annotation(image, ball, box(5, 5, 50, 50))
    Verification.objects.create(annotation=doubted, user=voter, verified=False)

    log_in(page, live_server, user)
    page.goto(f"/images/imageset/{image_set.pk}/")
    page.locator("#create-format").click()
    page.get_by_label("Name", exact=True).fill("json lines")
    page.get_by_label("Annotation types").select_option(label="ball")
    expect(page.locator("#preview-check")).to_have_text("Valid JSON lines: 1 line parsed.")
    page.get_by_role("button", name="Create").click()
    page.locator("#export-format").select_option(label="Robots/json lines (team only)")
    page.locator("#export-button").click()
    expect(page.locator(".alert-success")).to_contain_text("is ready")
    entry = page.locator("#export-list li").first
    expect(entry.locator(".export-filtered")).to_have_text(
        "1 label left out: its score (accepts − rejects) is below 0."
    )
    text = page.request.get(entry.locator(".export-download").get_attribute("href")).text()
    records = [json.loads(line) for line in text.splitlines()]
    assert [(record["image"], record["vector"]) for record in records] == [
        ('a "b", c.png', {"x1": 10, "y1": 20, "x2": 110, "y2": 220})
    ]
