"""The verification page in a real browser: from the set page's "Verify" link through a set with j/k,
d/s, flags and edit; machine-made labels dashed until a person accepts them; votes kept and resent
when the network fails, arriving exactly once."""

import io
import json

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation, AnnotationType, Origin, VectorType, Verification
from e2e.helpers import export_accepted_machine_labels, log_in, png_bytes
from images.ingest import add_image_file
from images.models import Image
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db(transaction=True)

WIDTH, HEIGHT = 400, 300


def png(index):
    return png_bytes(WIDTH, HEIGHT, index)


def _box(x1, y1, x2, y2):
    return {"x1": x1, "y1": y1, "x2": x2, "y2": y2}


@pytest.fixture
def world(storage_dir, make_user, make_team):
    """Ada labelled 4 images of a set; Bob verifies. Bob's own label and one he voted on already are
    left out of his list."""
    ada, bob = make_user("ada"), make_user("bob")
    team = make_team("Robots", admins=[ada], members=[bob])
    image_set = make_imageset(team, name="Field")
    for index in range(4):
        result = add_image_file(image_set, name=f"img{index}.png", fileobj=io.BytesIO(png(index)), uploader=ada)
        assert result.status == "added", result
    images = list(Image.objects.filter(image_set=image_set).order_by("name"))
    box = AnnotationType.objects.create(name="ball", vector_type=VectorType.BOUNDING_BOX)

    def label(image, vector, user=ada, **fields):
        return Annotation.objects.create(image=image, annotation_type=box, vector=vector, user=user, **fields)

    labels = {
        "first": label(images[0], _box(20, 20, 120, 100)),
        "second": label(images[0], _box(200, 150, 300, 250)),
        "bobs": label(images[0], _box(150, 20, 250, 80), user=bob),
        "voted": label(images[1], _box(10, 10, 40, 40)),
        "machine": label(images[1], _box(50, 60, 350, 240), origin=Origin.MACHINE, model_name="net", confidence=0.8),
        "absent": label(images[2], None),
        "last": label(images[3], _box(100, 100, 200, 200)),
    }
    Verification.objects.create(annotation=labels["voted"], user=bob, verified=True)
    return {"ada": ada, "bob": bob, "set": image_set, "images": images, "box": box, "labels": labels}


def wait_for(page, annotation):
    expect(page.locator("body")).to_have_attribute("data-verify-annotation", str(annotation.pk))


def open_set_entry(page, live_server, world):
    log_in(page, live_server, world["bob"])
    page.goto(f"/images/imageset/{world['set'].pk}/")
    page.locator("#verify-link").click()
    wait_for(page, world["labels"]["first"])


RED_SHARE = """({x1, x2, y}) => {
  // The share of pixels along the top edge of the current box that have its (red) stroke colour.
  const {view} = window.verifyPage;
  const ratio = window.devicePixelRatio || 1;
  const canvas = document.getElementById("verify-canvas");
  const ctx = canvas.getContext("2d");
  const row = Math.round((view.y + y * view.scale) * ratio);
  const left = Math.round((view.x + x1 * view.scale) * ratio) + 6;
  const right = Math.round((view.x + x2 * view.scale) * ratio) - 6;
  const data = ctx.getImageData(left, row, right - left, 1).data;
  let red = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] > 200 && data[i + 1] < 80 && data[i + 2] < 80) red += 1;
  return red / (right - left);
}"""


def red_share(page, vector):
    page.wait_for_timeout(100)  # one animation frame after the last change
    return page.evaluate(RED_SHARE, {"x1": vector["x1"], "x2": vector["x2"], "y": vector["y1"]})


def test_verify_a_set_with_the_keyboard(page, live_server, world):
    labels = world["labels"]
    open_set_entry(page, live_server, world)
    expect(page.locator("#annotation-type")).to_have_text("ball")
    expect(page.locator("#my-vote")).to_have_text("none yet")
    ids = [item["id"] for item in page.evaluate("() => window.verifyPage.queue.entries")]
    order = ["first", "second", "machine", "absent", "last"]
    assert ids == [labels[name].pk for name in order], "Bob's own label and the one he voted on are left out"
    current = page.evaluate("() => window.verifyPage.shapes().filter(s => s.current).map(s => s.id)")
    assert current == [labels["first"].pk]
    others = page.evaluate("() => window.verifyPage.shapes().filter(s => s.dimmed).map(s => s.id)")
    assert sorted(others) == sorted([labels["second"].pk, labels["bobs"].pk]), "the image's other labels, faint"
    assert red_share(page, labels["first"].vector) > 0.9, "a person's label is drawn solid"

    page.keyboard.press("j")
    wait_for(page, labels["second"])
    page.keyboard.press("k")
    wait_for(page, labels["machine"])
    expect(page.locator("#machine-badge")).to_contain_text("Machine: net 80 %")
    assert page.evaluate("() => window.verifyPage.shapes().find(s => s.current).machine") is True
    dashed = red_share(page, labels["machine"].vector)
    assert 0.3 < dashed < 0.8, f"a machine-made label is drawn dashed ({dashed:.2f} of the edge in colour)"

    page.keyboard.press("j")  # a person accepts it: from now on it looks like any other label
    wait_for(page, labels["absent"])
    expect(page.locator("#annotation-badges")).to_contain_text("Not in image")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    page.keyboard.press("s")
    wait_for(page, labels["machine"])
    expect(page.locator("#my-vote")).to_have_text("accepted")
    assert page.evaluate("() => window.verifyPage.shapes().find(s => s.current).machine") is False
    assert red_share(page, labels["machine"].vector) > 0.9, "accepted: solid"

    page.keyboard.press("d")
    wait_for(page, labels["absent"])
    page.keyboard.press("d")
    wait_for(page, labels["last"])
    expect(page.locator("#verify-remaining")).to_have_text("0 more after this one")
    page.keyboard.press("k")
    expect(page.locator("#verify-messages")).to_contain_text("There are no more annotations in the list.")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")

    votes = dict(Verification.objects.filter(user=world["bob"]).values_list("annotation_id", "verified"))
    assert votes == {
        labels["voted"].pk: True,
        labels["first"].pk: True,
        labels["second"].pk: False,
        labels["machine"].pk: True,
        labels["last"].pk: False,
    }
    world["ada"].refresh_from_db()
    assert world["ada"].points == 2, "accepts through the page (the earlier vote was stored without points)"
    assert page.url.endswith(f"/annotations/{labels['last'].pk}/verify/?type={world['box'].pk}")
    page.go_back()
    wait_for(page, labels["absent"])


def test_flags_edit_and_the_filters(page, live_server, world):
    labels = world["labels"]
    open_set_entry(page, live_server, world)
    fitted = page.evaluate("() => window.verifyPage.view.scale")
    page.keyboard.press("+")
    page.keyboard.press("+")
    assert page.evaluate("() => window.verifyPage.view.scale") == pytest.approx(fitted * 1.25**2)
    page.keyboard.press("Home")
    assert page.evaluate("() => window.verifyPage.view.scale") == pytest.approx(fitted)
    page.keyboard.press("c")
    expect(page.locator("#concealed")).to_be_checked()
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    page.keyboard.press("b")
    expect(page.locator("#blurred")).to_be_checked()
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    first = Annotation.objects.get(pk=labels["first"].pk)
    assert (first.concealed_flag, first.blurred_flag, first.version) == (True, True, 3)

    # Somebody else moves the box meanwhile: the flag change goes on top of it, losing nothing.
    Annotation.objects.filter(pk=first.pk).update(vector=_box(22, 20, 120, 100), version=4)
    page.keyboard.press("c")
    expect(page.locator("#concealed")).not_to_be_checked()
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    first.refresh_from_db()
    assert (first.concealed_flag, first.blurred_flag, first.vector["x1"]) == (False, True, 22)

    page.locator("#unvoted-only").click()  # show everything, also mine and the voted one
    expect(page.locator("#verify-list .list-group-item")).to_have_count(7)
    page.get_by_text("img0.png: ball (150, 20)").click()
    wait_for(page, labels["bobs"])
    page.keyboard.press("j")
    expect(page.locator("#verify-messages")).to_contain_text("You cannot vote on your own annotation.")
    assert not Verification.objects.filter(annotation=labels["bobs"]).exists()

    assert page.locator("#edit-button").get_attribute("href") == (
        f"/annotations/{world['images'][0].pk}/?edit={labels['bobs'].pk}"
    )
    page.keyboard.press("e")
    # The annotate page opens it for editing (and then tidies its address to the plain image URL).
    expect(page.locator("body")).to_have_attribute("data-annotate-image", str(world["images"][0].pk))
    expect(page.locator("#edit-banner")).to_be_visible()
    expect(page.locator("#edit-banner-id")).to_contain_text(str(labels["bobs"].pk))


def test_votes_survive_a_failing_network_and_a_reload(page, live_server, world):
    labels = world["labels"]
    state = {"down": True, "lost": 0}

    def server(route):
        if route.request.method == "GET" or not state["down"]:
            route.continue_()
        elif state["lost"] == 0:
            state["lost"] += 1
            route.fetch()  # the vote reaches the server, but the answer is lost
            route.abort()
        else:
            route.abort()

    page.route("**/api/v1/annotations/**", server)
    open_set_entry(page, live_server, world)
    page.keyboard.press("j")
    wait_for(page, labels["second"])  # moving on never waits for the server
    page.keyboard.press("k")
    wait_for(page, labels["machine"])
    expect(page.locator("#save-status")).to_have_attribute("data-state", "unsent")
    expect(page.locator("#unsent-count")).to_have_text("2")
    assert Verification.objects.filter(user=world["bob"]).count() == 2  # the earlier one + the lost answer

    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.reload()
    wait_for(page, labels["machine"])
    assert dialogs == ["beforeunload"]
    expect(page.locator("#unsent-count")).to_have_text("2")

    state["down"] = False
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved", timeout=20_000)
    votes = dict(Verification.objects.filter(user=world["bob"]).values_list("annotation_id", "verified"))
    assert votes == {labels["voted"].pk: True, labels["first"].pk: True, labels["second"].pk: False}
    world["ada"].refresh_from_db()
    assert world["ada"].points == 1, "the accept counted once"


def test_review_machine_labels_least_sure_first_and_export_the_accepted(page, live_server, world):
    """The review queue: machine-made labels of one model, least confident first, voted with j/k;
    then an export that keeps only what people accepted."""
    images, ada = world["images"], world["ada"]
    made = [
        Annotation.objects.create(
            image=images[index],
            annotation_type=world["box"],
            vector=_box(10 + index, 10, 60, 60),
            user=ada,
            origin=Origin.MACHINE,
            model_name="faces v2",
            confidence=confidence,
        )
        for index, confidence in enumerate([0.9, 0.2, 0.6])
    ]
    open_set_entry(page, live_server, world)
    page.locator("#order-filter").select_option("confidence")
    wait_for(page, made[1])  # 0.2: the least sure first
    ids = [item["id"] for item in page.evaluate("() => window.verifyPage.queue.entries")]
    machine = world["labels"]["machine"]  # another model's, at 0.8
    assert ids == [made[1].pk, made[2].pk, machine.pk, made[0].pk]
    assert world["labels"]["first"].pk not in ids, "people's labels are not in the queue"
    page.keyboard.press("k")  # reject the least sure
    wait_for(page, made[2])
    page.keyboard.press("j")  # accept the next
    wait_for(page, machine)
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    assert "order=confidence" in page.url

    data = json.loads(export_accepted_machine_labels(page, live_server, world["set"]))
    assert [annotation["id"] for annotation in data["annotations"]] == [made[2].pk]


def test_the_lists_shortened_entries_show_whole_on_hover_and_with_the_switch(page, live_server, world):
    open_set_entry(page, live_server, world)
    first = page.locator(f'#verify-list [data-annotation="{world["labels"]["first"].pk}"]')
    expect(first).to_have_text("img0.png: ball (20, 20) … 2 points")
    expect(first).to_have_attribute("title", "img0.png: ball (20, 20) (120, 100)")
    page.get_by_label("Whole entries").check()
    expect(first).to_have_text("img0.png: ball (20, 20) (120, 100)")
    page.set_viewport_size({"width": 390, "height": 844})
    clipped = first.evaluate("(item) => item.scrollWidth > item.clientWidth")
    assert not clipped, "whole entries wrap instead of being cut"
    page.get_by_label("Whole entries").uncheck()
    expect(first).to_have_text("img0.png: ball (20, 20) … 2 points")
