"""Issue 12's acceptance, as a new user would do it in a real browser: register, create a team, define
three label types with colours and attributes on the team's pages, create a set, upload images and label
them with attribute values (and an image tag) — without any staff account. A member of another team can
neither see nor use those types."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from annotations.models import Annotation, AnnotationType, VectorType
from e2e.helpers import log_in, png_bytes
from images.ingest import add_image_file
from images.models import Image, ImageSet
from images.tests.factories import make_imageset

PASSWORD = "correct-Horse-battery-9"
pytestmark = pytest.mark.django_db(transaction=True)


def register_and_log_in(page, username):
    page.goto("/")
    page.get_by_role("link", name="Register").first.click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
    page.goto(re.search(r"https?://\S+", mail.outbox[-1].body).group(0))
    page.get_by_role("button", name="Activate account").click()
    page.get_by_role("link", name="Log in").last.click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Home")).to_be_visible()


def add_attribute(page, name, kind, **fields):
    """One attribute row in the type editor: name, kind and the kind's own fields."""
    page.locator("#add-attribute").click()
    page.keyboard.type(name)
    row = page.locator(".attribute-row").last
    row.get_by_label("Kind").select_option(kind)
    for label, value in fields.items():
        field = row.get_by_label(label, exact=True)
        if label == "Required":
            field.check()
        elif label == "Default" and kind == "select":
            field.select_option(value)
        else:
            field.fill(value)


def define_type(page, name, shape, color, attributes):
    page.locator("#new-type").click()
    page.locator("#id_name").fill(name)
    page.get_by_label("Shape").select_option(str(int(shape)))
    page.locator(f'.palette-swatch[data-color="{color}"]').click()
    for attribute in attributes:
        add_attribute(page, **attribute)
    page.locator("#save-type").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Label type “{name}” created.")
    page.get_by_role("link", name="Label types").first.click()


def test_a_new_team_owns_its_label_schema_and_labels_with_it(
    page, live_server, storage_dir, make_user, make_team, api_for
):
    register_and_log_in(page, "founder")
    founder = get_user_model().objects.get(username="founder")
    assert not founder.is_staff

    # A team of one's own.
    page.get_by_label("Create a new team").fill("Street Lab")
    page.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", name="Street Lab")).to_be_visible()

    # Three label types, each with a colour and attributes.
    page.locator("#label-types-link").click()
    expect(page.locator("h1")).to_have_text("Label types")
    define_type(
        page,
        "car",
        VectorType.BOUNDING_BOX,
        "#e6194b",
        [
            {"name": "occluded", "kind": "checkbox"},
            {"name": "colour", "kind": "select", "Values": "red\nblue\nsilver", "Default": "red", "Required": True},
        ],
    )
    define_type(
        page,
        "pedestrian",
        VectorType.POINT,
        "#4363d8",
        [{"name": "age", "kind": "number", "Minimum": "0", "Maximum": "120"}],
    )
    define_type(page, "rainy", VectorType.TAG, "#3cb44b", [{"name": "note", "kind": "text"}])
    team_types = {t.name: t for t in AnnotationType.objects.filter(team__name="Street Lab")}
    assert {name: (t.vector_type, t.color) for name, t in team_types.items()} == {
        "car": (VectorType.BOUNDING_BOX, "#e6194b"),
        "pedestrian": (VectorType.POINT, "#4363d8"),
        "rainy": (VectorType.TAG, "#3cb44b"),
    }
    assert [a["name"] for a in team_types["car"].attributes] == ["occluded", "colour"]

    # A set of the team, with two images uploaded through the page.
    page.get_by_role("link", name="Street Lab").first.click()
    page.get_by_role("link", name="Create image set").click()
    page.get_by_label("Name").fill("Crossings")
    page.get_by_role("button", name="Create image set").click()
    assert ImageSet.objects.get(name="Crossings").team.name == "Street Lab"
    files = [
        {"name": f"crossing{number}.png", "mimeType": "image/png", "buffer": png_bytes(400, 300, number)}
        for number in range(2)
    ]
    page.wait_for_load_state("load")  # the upload script is listening
    page.get_by_label("Drop files here, or choose them").set_input_files(files)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-status")).to_contain_text("2 image(s) added")
    expect(page.locator("#type-legend")).to_contain_text("pedestrian")

    # Label: a car whose colour is chosen in the attributes panel before drawing, and the tag.
    page.reload()
    page.locator("#annotate-link").click()
    expect(page.locator("body")).to_have_attribute("data-annotate-image", re.compile(r"\d+"))
    page.locator("#annotation-type").select_option(str(team_types["car"].pk))
    expect(page.locator("#attributes-subject")).to_contain_text("New car labels")
    page.locator("#attributes-form").get_by_label("colour").select_option("silver")
    start = page.evaluate("() => window.annotatePage.imageToClient(40, 50)")
    end = page.evaluate("() => window.annotatePage.imageToClient(180, 150)")
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    page.mouse.move(end["x"], end["y"], steps=5)
    page.mouse.up()
    page.keyboard.press("v")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    page.locator("#tag-bar .tag-toggle", has_text="rainy").click()
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")

    image = Image.objects.get(pk=int(page.locator("body").get_attribute("data-annotate-image")))
    car = Annotation.objects.get(image=image, annotation_type=team_types["car"])
    assert car.attributes == {"occluded": False, "colour": "silver"}
    assert car.user == founder
    tag = Annotation.objects.get(image=image, annotation_type=team_types["rainy"])
    assert tag.vector is None
    assert tag.is_tag

    # Somebody of another team neither sees nor uses these types.
    rival = make_user("rival")
    rivals = make_team("Rivals", admins=[rival])
    own_set = make_imageset(rivals, name="Rival set")
    add_image_file(own_set, name="r.png", fileobj=io.BytesIO(png_bytes(400, 300, 7)), uploader=rival)
    rival_image = own_set.images.get()
    AnnotationType.objects.create(name="person")  # a site type: offered to every set
    api = api_for(rival)
    names = {t["name"] for t in api.get("/api/v1/annotation-types/").json()["results"]}
    assert not {"car", "pedestrian", "rainy"} & names
    assert api.get(f"/api/v1/annotation-types/{team_types['car'].pk}/").status_code == 404
    refused = api.post(
        "/api/v1/annotations/",
        {
            "image": rival_image.pk,
            "annotation_type": team_types["car"].pk,
            "vector": {"x1": 1, "y1": 1, "x2": 9, "y2": 9},
            "attributes": {"colour": "red"},
        },
        format="json",
    )
    assert refused.status_code == 400, refused.content
    assert "no annotation type" in str(refused.json())
    assert not Annotation.objects.filter(image=rival_image).exists()
    log_in(page, live_server, rival)
    assert page.goto(f"/users/team/{team_types['car'].team_id}/types/").status == 404
    page.goto(f"/annotations/{rival_image.pk}/")
    expect(page.locator("body")).to_have_attribute("data-annotate-image", str(rival_image.pk))
    expect(page.locator("#annotation-type option")).to_have_count(1)
    expect(page.locator("#annotation-type option")).to_contain_text("person")
