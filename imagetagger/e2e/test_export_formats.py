"""Create an export format from the set page with the live preview updating as one types."""

import pytest
from playwright.sync_api import expect

from e2e.helpers import log_in
from exports.models import ExportFormat
from exports.tests.format_factories import box, make_annotation, make_image, make_set, make_type

pytestmark = pytest.mark.django_db(transaction=True)


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
    # Prefilled with the label lines the label upload reads back, previewed as soon as a type is chosen.
    expect(page.locator("#preview-output")).to_contain_text(
        'a.png|ball|{"x1": "10","y1": "20","x2": "110","y2": "220",}|b'
    )
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
