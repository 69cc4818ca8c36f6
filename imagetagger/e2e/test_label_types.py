"""A team admin defines a label type in the browser: colour from the palette and the colour input (the live
preview follows), three attributes edited with keyboard and mouse (checkbox, number with min/max, select),
a server error shown on the attribute's row, save, edit, then a set chooses its types. Screenshots of the
list and the editor at three widths go to /tmp/shots/ and the test artifacts."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from annotations.models import AnnotationType
from e2e.conftest import ARTIFACTS
from e2e.helpers import log_in, shoot_viewports
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = [Path("/tmp/shots"), ARTIFACTS / "label-types"]


def shoot(page, name):
    shoot_viewports(page, name, SHOTS)


def stroke(page):
    return page.evaluate("getComputedStyle(document.querySelector('#preview-box')).stroke")


def attributes_json(page):
    return json.loads(page.locator("#id_attributes").input_value())


def test_a_team_admin_defines_a_type_with_colour_and_attributes(page, live_server, make_user, make_team):
    admin = make_user("ada")
    team = make_team("Robots", admins=[admin])
    AnnotationType.objects.create(name="ball", team=team, color="#e6194b", sort_order=0)
    image_set = make_imageset(team, name="Field day")

    log_in(page, live_server, admin)
    page.goto(f"/users/team/{team.pk}/")
    page.locator("#label-types-link").click()
    expect(page.locator("h1")).to_have_text("Label types")
    page.locator("#new-type").click()

    # The form offers the team's next palette colour (red is taken) and previews it.
    color = page.locator("#id_color")
    expect(color).to_have_value("#3cb44b")
    assert stroke(page) == "rgb(60, 180, 75)"
    page.locator("#id_name").fill("car")
    expect(page.locator("#preview-name")).to_have_text("car")

    # A palette swatch (mouse), then the colour input itself: the preview follows each.
    page.locator('.palette-swatch[data-color="#4363d8"]').click()
    expect(color).to_have_value("#4363d8")
    assert stroke(page) == "rgb(67, 99, 216)"
    expect(page.locator('.palette-swatch[data-color="#4363d8"]')).to_have_attribute("aria-pressed", "true")
    color.fill("#f58231")
    assert stroke(page) == "rgb(245, 130, 49)"
    expect(page.locator("#color-value")).to_have_text("#f58231")

    # Concealed is shown dashed; switching it off removes the marking from the preview.
    expect(page.locator('[data-flag="concealed"]')).to_be_visible()
    dash = page.evaluate("getComputedStyle(document.querySelector('.mark.concealed')).strokeDasharray")
    assert dash not in ("none", "")
    page.get_by_label("Blurred flag").uncheck()
    expect(page.locator('[data-flag="blurred"]')).to_be_hidden()

    # The JSON field is replaced by the editor.
    expect(page.locator("#id_attributes")).to_be_hidden()
    expect(page.locator("#no-attributes")).to_be_visible()

    # Attribute 1 (mouse to add, keyboard to type): a checkbox.
    page.locator("#add-attribute").click()
    page.keyboard.type("occluded")
    rows = page.locator(".attribute-row")
    expect(rows).to_have_count(1)
    expect(rows.nth(0).locator("legend")).to_have_text("Attribute 1: occluded")

    # Attribute 2 (keyboard to add): a number with min/max.
    page.locator("#add-attribute").focus()
    page.keyboard.press("Enter")
    page.keyboard.type("speed")
    page.keyboard.press("Tab")  # to the kind
    rows.nth(1).get_by_label("Kind").select_option("number")
    rows.nth(1).get_by_label("Minimum").focus()
    page.keyboard.type("0")
    page.keyboard.press("Tab")
    page.keyboard.type("10")
    page.keyboard.press("Tab")
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    page.keyboard.type("3")

    # Attribute 3: a select with values and a default; required.
    page.locator("#add-attribute").click()
    page.keyboard.type("colour")
    rows.nth(2).get_by_label("Kind").select_option("select")
    rows.nth(2).get_by_label("Values").fill("red\nblue")
    rows.nth(2).get_by_label("Default").select_option("blue")
    rows.nth(2).get_by_label("Required").check()

    # Reorder with the keyboard: move "colour" up, and back down.
    rows.nth(2).get_by_role("button", name="Move attribute “colour” up").focus()
    page.keyboard.press("Enter")
    assert [item["name"] for item in attributes_json(page)] == ["occluded", "colour", "speed"]
    page.keyboard.press("Enter")  # the focus stays on "move up" of the moved row
    assert [item["name"] for item in attributes_json(page)] == ["colour", "occluded", "speed"]
    page.locator(".attribute-row").nth(0).get_by_role("button", name="Move attribute “colour” down").click()
    page.locator(".attribute-row").nth(1).get_by_role("button", name="Move attribute “colour” down").click()
    assert attributes_json(page) == [
        {"name": "occluded", "kind": "checkbox", "required": False, "default": False},
        {"name": "speed", "kind": "number", "required": False, "min": 0, "max": 10, "step": 1, "default": 3},
        {"name": "colour", "kind": "select", "required": True, "values": ["red", "blue"], "default": "blue"},
    ]
    shoot(page, "type-editor")

    # A mistake the server finds: shown next to the form, naming the attribute, its row marked.
    rows.nth(1).get_by_label("Minimum").fill("20")
    page.locator("#save-type").click()
    errors = page.locator("[data-attribute-errors]")
    expect(errors).to_contain_text("Attribute “speed”: min must not be greater than max.")
    expect(page.locator(".attribute-row.is-invalid legend")).to_have_text("Attribute 2: speed")
    assert not AnnotationType.objects.filter(name="car").exists()
    # The colour and the rows survived the round trip.
    expect(page.locator("#id_color")).to_have_value("#f58231")
    page.locator(".attribute-row").nth(1).get_by_label("Minimum").fill("0")
    page.locator("#save-type").click()

    expect(page.locator(".alert-success")).to_contain_text("Label type “car” created.")
    car = AnnotationType.objects.get(name="car")
    assert car.team == team
    assert car.color == "#f58231"
    assert not car.enable_blurred
    assert [(item["name"], item["kind"]) for item in car.attributes] == [
        ("occluded", "checkbox"),
        ("speed", "number"),
        ("colour", "select"),
    ]
    assert (car.attributes[1]["min"], car.attributes[1]["max"]) == (0, 10)

    # Edit: rename, tick "occluded" by default, another palette colour.
    page.locator("#id_name").fill("Car")
    page.locator(".attribute-row").nth(0).get_by_label("Ticked by default").check()
    page.locator('.palette-swatch[data-color="#911eb4"]').click()
    assert stroke(page) == "rgb(145, 30, 180)"
    page.locator("#save-type").click()
    expect(page.locator(".alert-success")).to_contain_text("Label type “Car” saved.")
    car.refresh_from_db()
    assert (car.name, car.color, car.attributes[0]["default"]) == ("Car", "#911eb4", True)
    shoot(page, "type-edit")

    # The list, with the new type's swatch and attributes.
    page.goto(f"/users/team/{team.pk}/types/")
    row = page.locator(f"#annotation-type-{car.pk}")
    expect(row).to_contain_text("occluded (checkbox), speed (number 0–10), colour (select: 2 values, required)")
    swatch = row.locator(".type-swatch")
    assert swatch.evaluate("node => getComputedStyle(node).backgroundColor") == "rgb(145, 30, 180)"
    shoot(page, "types-list")

    # The set chooses its types: only "Car".
    page.goto(f"/images/imageset/{image_set.pk}/edit/")
    page.get_by_label("Car").check()
    shoot(page, "set-edit")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("The image set has been saved.")
    assert list(image_set.annotation_types.values_list("name", flat=True)) == ["Car"]
    legend = page.locator("#type-legend")
    expect(legend).to_contain_text("Car")
    expect(legend).not_to_contain_text("ball")


def test_without_javascript_the_attributes_are_a_json_field(browser, live_server, make_user, make_team):
    admin = make_user("ada")
    team = make_team("Robots", admins=[admin])
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_server, admin)
        page.goto(f"/users/team/{team.pk}/types/create/")
        expect(page.locator("#palette")).to_be_hidden()
        expect(page.locator("#attribute-editor")).to_be_hidden()
        page.get_by_label("Name", exact=True).fill("night")
        page.get_by_label("Shape").select_option("Tag (whole image)")
        page.get_by_label("Attributes (JSON)").fill('[{"name": "moon", "kind": "checkbox", "default": true}]')
        page.get_by_role("button", name="Create type").click()
        expect(page.locator(".alert-success")).to_contain_text("Label type “night” created.")
        night = AnnotationType.objects.get(name="night")
        assert night.is_tag
        assert night.attributes == [{"name": "moon", "kind": "checkbox", "required": False, "default": True}]
    finally:
        context.close()
