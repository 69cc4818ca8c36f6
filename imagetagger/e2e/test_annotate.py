"""The annotate page in a real browser: drawing every vector type with the mouse at two zoom levels,
the keyboard loop, editing, deleting, undo/redo, keep-selection, conflicts and the offline outbox.

Mouse positions are whole CSS pixels on the page; the vector the server must receive is computed
here from them and from the page's view (zoom and offset): round((client − canvas − offset) / scale),
clamped into the image.
"""

import io
import math
import re

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation, AnnotationType, VectorType
from e2e.helpers import log_in, png_bytes
from images.ingest import add_image_file
from images.models import Image
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db(transaction=True)

WIDTH, HEIGHT = 400, 300


def png(index):
    return png_bytes(WIDTH, HEIGHT, index)


@pytest.fixture
def world(storage_dir, make_user, make_team):
    """A team admin, a set of 6 images of 400 × 300 and one type per vector type."""
    user = make_user("annotator")
    team = make_team("Robots", admins=[user])
    image_set = make_imageset(team, name="Field")
    for index in range(6):
        result = add_image_file(image_set, name=f"img{index}.png", fileobj=io.BytesIO(png(index)), uploader=user)
        assert result.status == "added", result
    types = {
        "box": AnnotationType.objects.create(name="a-box", vector_type=VectorType.BOUNDING_BOX),
        "point": AnnotationType.objects.create(name="b-point", vector_type=VectorType.POINT),
        "line": AnnotationType.objects.create(name="c-line", vector_type=VectorType.LINE),
        "multi": AnnotationType.objects.create(name="d-multi", vector_type=VectorType.MULTI_LINE),
        "poly4": AnnotationType.objects.create(name="e-poly4", vector_type=VectorType.POLYGON, node_count=4),
        "poly": AnnotationType.objects.create(name="f-poly", vector_type=VectorType.POLYGON),
    }
    image_set.main_annotation_type = types["box"]
    image_set.save(update_fields=["main_annotation_type"])
    images = list(Image.objects.filter(image_set=image_set).order_by("name"))
    return {"user": user, "team": team, "set": image_set, "images": images, "types": types}


def open_annotate(page, live_server, world, image=None, query=""):
    log_in(page, live_server, world["user"])
    image = image or world["images"][0]
    page.goto(f"/annotations/{image.pk}/{query}")
    wait_for_image(page, image)


def wait_for_image(page, image):
    expect(page.locator("body")).to_have_attribute("data-annotate-image", str(image.pk))


def view(page):
    return page.evaluate("() => ({view: window.annotatePage.view, rect: window.annotatePage.canvasRect})")


class Mapper:
    """Turns image points into whole client pixels and tells which image pixel the page must see."""

    def __init__(self, page):
        data = view(page)
        self.scale = data["view"]["scale"]
        self.offset_x = data["rect"]["left"] + data["view"]["x"]
        self.offset_y = data["rect"]["top"] + data["view"]["y"]

    def client(self, x, y):
        return round(self.offset_x + x * self.scale), round(self.offset_y + y * self.scale)

    def expected(self, client_x, client_y):
        def to_image(value, offset, limit):
            return min(limit, max(0, math.floor((value - offset) / self.scale + 0.5)))

        return to_image(client_x, self.offset_x, WIDTH), to_image(client_y, self.offset_y, HEIGHT)


def click_at(page, point):
    page.mouse.move(*point)
    page.mouse.down()
    page.mouse.up()


def drag(page, start, end, steps=6):
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=steps)
    page.mouse.up()


def choose_type(page, world, key):
    index = list(world["types"]).index(key) + 1
    page.keyboard.press(str(index % 10))
    expect(page.locator("#annotation-type")).to_have_value(str(world["types"][key].pk))


def wait_saved(page):
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")


def vector_of(points):
    vector = {}
    for index, (x, y) in enumerate(points, start=1):
        vector[f"x{index}"] = x
        vector[f"y{index}"] = y
    return vector


def test_draw_a_box(page, live_server, world):
    open_annotate(page, live_server, world)
    mapper = Mapper(page)
    start, end = mapper.client(50, 40), mapper.client(150, 120)
    drag(page, start, end)
    page.keyboard.press("v")
    wait_saved(page)
    (x1, y1), (x2, y2) = mapper.expected(*start), mapper.expected(*end)
    annotation = Annotation.objects.get()
    assert annotation.vector == {"x1": x1, "y1": y1, "x2": x2, "y2": y2}
    assert annotation.annotation_type == world["types"]["box"]


def draw_every_type(page, world, mapper, shift=(0, 0)):
    """Draws one shape of every vector type (two multi-lines: finished by Enter and by a double
    click), ``shift`` image pixels away from the standard places, and saves each with v; returns
    {type key: [expected vector, …]}."""
    expected = {}
    original_client = mapper.client

    def client(x, y):
        return original_client(x + shift[0], y + shift[1])

    mapper = type("Shifted", (), {"client": staticmethod(client), "expected": staticmethod(mapper.expected)})

    def saved(key, clients):
        page.keyboard.press("v")
        expected.setdefault(key, []).append(vector_of([mapper.expected(*c) for c in clients]))

    choose_type(page, world, "box")
    start, end = mapper.client(120, 80), mapper.client(200, 160)
    drag(page, start, end)
    saved("box", [start, end])

    choose_type(page, world, "point")
    point = mapper.client(150, 100)
    click_at(page, point)
    saved("point", [point])

    choose_type(page, world, "line")
    ends = [mapper.client(130, 90), mapper.client(250, 200)]
    for client in ends:
        click_at(page, client)
    saved("line", ends)

    choose_type(page, world, "multi")
    vertices = [mapper.client(x, y) for x, y in [(120, 200), (160, 150), (200, 210), (240, 160)]]
    for client in vertices:
        click_at(page, client)
    page.keyboard.press("Enter")
    saved("multi", vertices)
    vertices = [mapper.client(x, y) for x, y in [(130, 100), (170, 120), (210, 100)]]
    for client in vertices[:-1]:
        click_at(page, client)
    page.mouse.dblclick(*vertices[-1])
    saved("multi", vertices)

    choose_type(page, world, "poly4")
    vertices = [mapper.client(x, y) for x, y in [(150, 80), (250, 90), (260, 200), (140, 190)]]
    for client in vertices:
        click_at(page, client)
    saved("poly4", vertices)

    choose_type(page, world, "poly")
    vertices = [mapper.client(x, y) for x, y in [(120, 120), (180, 100), (220, 160), (160, 220), (110, 180)]]
    for client in vertices:
        click_at(page, client)
    click_at(page, vertices[0])  # closes the polygon
    saved("poly", vertices)
    return expected


def saved_vectors(world, image):
    result = {}
    names = {annotation_type.pk: key for key, annotation_type in world["types"].items()}
    for annotation in Annotation.objects.filter(image=image).order_by("id"):
        result.setdefault(names[annotation.annotation_type_id], []).append(annotation.vector)
    return result


def test_draw_every_vector_type_at_two_zoom_levels(page, live_server, world):
    first, second = world["images"][:2]
    open_annotate(page, live_server, world, first)
    fitted = Mapper(page)
    expected = draw_every_type(page, world, fitted)
    wait_saved(page)
    assert saved_vectors(world, first) == expected

    page.keyboard.press("d")
    wait_for_image(page, second)
    for _ in range(3):
        page.keyboard.press("+")
    expect(page.locator("#zoom-level")).not_to_have_text(f"{round(fitted.scale * 100)}%")
    # Pan with the middle button, then with space + drag.
    center = fitted.client(200, 150)
    page.mouse.move(*center)
    page.mouse.down(button="middle")
    page.mouse.move(center[0] + 30, center[1] + 20, steps=3)
    page.mouse.up(button="middle")
    page.keyboard.down(" ")
    drag(page, (center[0] + 30, center[1] + 20), (center[0] + 10, center[1] + 10), steps=3)
    page.keyboard.up(" ")
    zoomed = Mapper(page)
    assert zoomed.scale == pytest.approx(fitted.scale * 1.25**3)
    assert zoomed.client(200, 150) == (center[0] + 10, center[1] + 10)
    expected = draw_every_type(page, world, zoomed, shift=(7, -5))
    wait_saved(page)
    assert saved_vectors(world, second) == expected
    assert expected["box"] == [{"x1": 127, "y1": 75, "x2": 207, "y2": 155}]


def annotate_service(world, image, key, vector, **fields):
    from annotations import services

    annotation, _created = services.create_annotation(
        actor=world["user"], image=image, annotation_type=world["types"][key], vector=vector, **fields
    )
    return annotation


def test_label_save_next_loop_with_the_shortcuts(page, live_server, world):
    images = world["images"]
    open_annotate(page, live_server, world)
    expect(page.locator(".image-list-row.active")).to_have_text("img0.png")
    mapper = Mapper(page)

    # img0: a box, saved with f ("save and next").
    start, end = mapper.client(20, 30), mapper.client(120, 90)
    drag(page, start, end)
    page.keyboard.press("f")
    wait_for_image(page, images[1])
    expect(page).to_have_url(re.compile(f"/annotations/{images[1].pk}/$"))
    expect(page.locator(".image-list-row.active")).to_have_text("img1.png")

    # img1: "keep selection" is off by default: nothing carried over; a new box, concealed (c), f.
    expect(page.locator("#keep-selection")).not_to_be_checked()
    expect(page.locator("#proposal-banner")).to_be_hidden()
    expect(page.locator("#coordinates")).to_have_text("–")
    start2, end2 = mapper.client(200, 100), mapper.client(300, 250)
    drag(page, start2, end2)
    page.keyboard.press("c")
    expect(page.locator("#concealed")).to_be_checked()
    page.keyboard.press("f")
    wait_for_image(page, images[2])

    # img2: flags start off again; "not in image" (g), f.
    expect(page.locator("#concealed")).not_to_be_checked()
    page.keyboard.press("g")
    expect(page.locator("#not-in-image")).to_be_checked()
    page.keyboard.press("f")
    wait_for_image(page, images[3])
    expect(page.locator("#not-in-image")).not_to_be_checked()  # not carried over

    # d skips, s goes back, a saves (nothing) and goes back.
    page.keyboard.press("d")
    wait_for_image(page, images[4])
    page.keyboard.press("s")
    wait_for_image(page, images[3])
    page.keyboard.press("a")
    wait_for_image(page, images[2])
    expect(page.locator("#annotation-list")).to_contain_text("not in image")

    # The browser's back and forward buttons move between the images.
    page.go_back()
    wait_for_image(page, images[3])
    page.go_back()
    wait_for_image(page, images[4])
    page.go_forward()
    wait_for_image(page, images[3])

    wait_saved(page)
    box = world["types"]["box"]
    (x1, y1), (x2, y2) = mapper.expected(*start), mapper.expected(*end)
    assert [a.vector for a in Annotation.objects.filter(image=images[0])] == [vector_of([(x1, y1), (x2, y2)])]
    second = Annotation.objects.get(image=images[1])
    assert second.vector == vector_of([mapper.expected(*start2), mapper.expected(*end2)])
    assert second.concealed_flag is True
    assert second.annotation_type == box
    nii = Annotation.objects.get(image=images[2])
    assert nii.vector is None
    assert nii.annotation_type == box
    assert Annotation.objects.count() == 3


def test_shortcuts_overlay_type_keys_and_typing_in_fields(page, live_server, world):
    open_annotate(page, live_server, world)
    expect(page.locator("#annotation-type")).to_have_value(str(world["types"]["box"].pk))  # the set's main type
    page.keyboard.press("?")
    expect(page.locator("#shortcuts-dialog")).to_be_visible()
    expect(page.locator("#shortcuts-table")).to_contain_text("Save and go to the next image")
    page.keyboard.press("Escape")
    expect(page.locator("#shortcuts-dialog")).to_be_hidden()
    page.keyboard.press("3")
    expect(page.locator("#annotation-type")).to_have_value(str(world["types"]["line"].pk))
    # Keys typed into a text field are text, not shortcuts.
    page.evaluate("() => document.querySelector('#set-heading').insertAdjacentHTML('afterend', '<input id=\"note\">')")
    page.locator("#note").fill("")
    page.locator("#note").press_sequentially("dfs1")
    expect(page.locator("#note")).to_have_value("dfs1")
    expect(page.locator("#annotation-type")).to_have_value(str(world["types"]["line"].pk))
    assert page.locator("body").get_attribute("data-annotate-image") == str(world["images"][0].pk)


def test_edit_by_dragging_a_vertex_and_delete(page, live_server, world):
    image = world["images"][0]
    square = {"x1": 100, "y1": 100, "x2": 200, "y2": 100, "x3": 200, "y3": 200, "x4": 100, "y4": 200}
    polygon = annotate_service(world, image, "poly4", square)
    open_annotate(page, live_server, world)
    choose_type(page, world, "poly4")
    mapper = Mapper(page)
    click_at(page, mapper.client(150, 150))  # inside: select it
    expect(page.locator("#edit-banner")).to_be_visible()
    target = mapper.client(230, 80)
    drag(page, mapper.client(200, 100), target)
    page.keyboard.press("v")
    wait_saved(page)
    polygon.refresh_from_db()
    x, y = mapper.expected(*target)
    assert polygon.vector == {**square, "x2": x, "y2": y}
    assert polygon.version == 2

    # Move the whole shape by dragging its inside, then delete it with Del.
    click_at(page, mapper.client(150, 150))
    expect(page.locator("#edit-banner")).to_be_visible()
    grab, drop = mapper.client(150, 150), mapper.client(170, 140)
    drag(page, grab, drop)
    page.keyboard.press("v")
    wait_saved(page)
    polygon.refresh_from_db()
    (gx, gy), (dx, dy) = mapper.expected(*grab), mapper.expected(*drop)
    moved = {
        key: value + (dx - gx if key[0] == "x" else dy - gy) for key, value in {**square, "x2": x, "y2": y}.items()
    }
    assert polygon.vector == moved
    assert polygon.version == 3
    click_at(page, mapper.client(170, 140))
    expect(page.locator("#edit-banner")).to_be_visible()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.keyboard.press("Delete")  # no confirm(): deleted at once, with an "Undo" toast
    expect(page.locator("#toast-area .toast")).to_contain_text("The e-poly4 label was deleted.")
    wait_saved(page)
    assert dialogs == []
    assert not Annotation.objects.filter(pk=polygon.pk).exists()
    expect(page.locator("#annotation-count")).to_have_text("0")


def test_open_for_editing_by_url_and_move_the_shape(page, live_server, world):
    image = world["images"][0]
    box = annotate_service(world, image, "box", {"x1": 50, "y1": 50, "x2": 150, "y2": 120})
    open_annotate(page, live_server, world, query=f"?edit={box.pk}")
    expect(page.locator("#edit-banner")).to_contain_text(f"#{box.pk}")
    for key in ["l", "l", "k", "Shift+L"]:
        page.keyboard.press(key)
    expect(page.locator("#coordinates")).to_have_text("x1: 52, y1: 51\nx2: 153, y2: 121")
    page.keyboard.press("v")
    wait_saved(page)
    box.refresh_from_db()
    assert box.vector == {"x1": 52, "y1": 51, "x2": 153, "y2": 121}
    # Resize by the bottom-right handle.
    page.locator("#annotation-list .list-group-item").first.click()
    mapper = Mapper(page)
    target = mapper.client(180, 140)
    drag(page, mapper.client(153, 121), target)
    page.keyboard.press("b")
    page.keyboard.press("v")
    wait_saved(page)
    box.refresh_from_db()
    x2, y2 = mapper.expected(*target)
    assert box.vector == {"x1": 52, "y1": 51, "x2": x2, "y2": y2}
    assert box.blurred_flag is True


def test_undo_and_redo(page, live_server, world):
    open_annotate(page, live_server, world)
    mapper = Mapper(page)
    drag(page, mapper.client(50, 50), mapper.client(100, 100))
    coordinates = page.locator("#coordinates")
    drawn = coordinates.inner_text()
    page.keyboard.press("l")
    moved = coordinates.inner_text()
    assert moved != drawn
    page.keyboard.press("Control+z")
    expect(coordinates).to_have_text(drawn)
    page.keyboard.press("Control+Shift+z")
    expect(coordinates).to_have_text(moved)
    page.keyboard.press("Control+z")
    page.keyboard.press("Control+z")
    expect(coordinates).to_have_text("–")
    page.keyboard.press("Control+Shift+z")
    expect(coordinates).to_have_text(drawn)

    # Saves are undone on the server too: a create by deleting, a delete by creating again.
    page.keyboard.press("v")
    wait_saved(page)
    created = Annotation.objects.get()
    page.keyboard.press("Control+z")
    expect(page.locator("#annotation-count")).to_have_text("0")
    wait_saved(page)
    assert Annotation.objects.count() == 0
    page.keyboard.press("Control+Shift+z")
    expect(page.locator("#annotation-count")).to_have_text("1")
    wait_saved(page)
    again = Annotation.objects.get()
    assert (again.uuid, again.vector) == (created.uuid, created.vector)

    # An edit is undone with a change back to the earlier vector.
    page.locator("#annotation-list .list-group-item").first.click()
    page.keyboard.press("k")
    page.keyboard.press("v")
    wait_saved(page)
    again.refresh_from_db()
    assert again.vector["y1"] == created.vector["y1"] + 1
    page.keyboard.press("Control+z")
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved")
    page.wait_for_function("() => !window.annotatePage.outbox.unsent")
    wait_saved(page)
    again.refresh_from_db()
    assert again.vector == created.vector
    assert again.version == 3


def open_from_list(page, image):
    page.locator(f".image-list-row[data-image-id='{image.pk}']").click()
    wait_for_image(page, image)


def test_keep_selection_for_every_vector_type_and_not_in_image(page, live_server, world):
    """Off by default and remembered once changed; a kept shape comes to the next image as a dashed
    proposal: Enter saves it, moving on with f leaves it unsaved."""
    images = world["images"]
    open_annotate(page, live_server, world)
    expect(page.locator("#keep-selection")).not_to_be_checked()
    page.locator("#keep-selection").check()
    page.reload()
    wait_for_image(page, images[0])
    expect(page.locator("#keep-selection")).to_be_checked()  # remembered in this browser
    mapper = Mapper(page)
    shapes = {
        "box": ("drag", [(40, 40), (90, 80)]),
        "point": ("clicks", [(60, 70)]),
        "line": ("clicks", [(30, 30), (140, 90)]),
        "multi": ("enter", [(20, 200), (60, 180), (100, 220)]),
        "poly4": ("clicks", [(200, 50), (260, 60), (250, 120), (210, 110)]),
        "poly": ("close", [(300, 200), (350, 210), (330, 260)]),
    }
    proposal = page.locator("#proposal-banner")
    for key, (how, points) in shapes.items():
        open_from_list(page, images[0])
        choose_type(page, world, key)
        clients = [mapper.client(*point) for point in points]
        if how == "drag":
            drag(page, *clients)
        else:
            for client in clients:
                click_at(page, client)
            if how == "enter":
                page.keyboard.press("Enter")
            elif how == "close":
                click_at(page, clients[0])
        page.keyboard.press("f")
        wait_for_image(page, images[1])
        expect(proposal).to_be_visible()  # shown, not saved, not a selection
        expect(page.locator("#coordinates")).to_have_text("–")
        page.keyboard.press("Enter")  # one key saves it
        expect(proposal).to_be_hidden()
        page.keyboard.press("f")  # img2: offered again, but f moves on without saving it
        wait_for_image(page, images[2])
        expect(proposal).to_be_visible()
        page.keyboard.press("f")
        wait_for_image(page, images[3])
        expect(proposal).to_be_hidden()
    # "Not in image" is kept as well.
    open_from_list(page, images[3])
    choose_type(page, world, "point")
    page.keyboard.press("g")
    page.keyboard.press("f")
    wait_for_image(page, images[4])
    expect(proposal).to_contain_text("not in the image")
    expect(page.locator("#not-in-image")).not_to_be_checked()
    page.keyboard.press("v")  # v saves a proposal too
    expect(proposal).to_be_hidden()
    page.keyboard.press("d")
    wait_for_image(page, images[5])
    expect(proposal).to_be_hidden()  # d saved nothing, so nothing is kept
    # Unticked, nothing is carried over.
    page.locator("#keep-selection").uncheck()
    open_from_list(page, images[0])
    choose_type(page, world, "box")
    drag(page, mapper.client(300, 20), mapper.client(380, 60))
    page.keyboard.press("f")
    wait_for_image(page, images[1])
    expect(page.locator("#coordinates")).to_have_text("–")
    expect(proposal).to_be_hidden()
    expect(page.locator("#not-in-image")).not_to_be_checked()

    wait_saved(page)
    first, second = saved_vectors(world, images[0]), saved_vectors(world, images[1])
    assert len(first["box"]) == 2
    first["box"] = first["box"][:1]
    assert first == second
    assert set(second) == set(shapes)
    assert not Annotation.objects.filter(image__in=[images[2], images[5]]).exists(), "never saved unseen"
    assert [a.vector for a in Annotation.objects.filter(image__in=images[3:5])] == [None, None]


def test_offline_saves_survive_a_reload_and_arrive_exactly_once(page, live_server, world):
    images = world["images"]
    state = {"down": True, "lost": 0}

    def server(route):
        request = route.request
        if request.method == "GET" or not state["down"]:
            route.continue_()
        elif request.method == "POST" and state["lost"] == 0:
            state["lost"] += 1
            route.fetch()  # it reaches the server, but the answer is lost
            route.abort()
        else:
            route.abort()

    page.route("**/api/v1/annotations/**", server)
    open_annotate(page, live_server, world)
    mapper = Mapper(page)
    boxes = [((20, 20), (60, 60)), ((100, 100), (180, 150))]
    expected = {}
    for start, end in boxes:
        drag(page, mapper.client(*start), mapper.client(*end))
        page.keyboard.press("v")
        expected.setdefault(images[0].pk, []).append(
            vector_of([mapper.expected(*mapper.client(*start)), mapper.expected(*mapper.client(*end))])
        )
    expect(page.locator("#save-status")).to_have_attribute("data-state", "unsent")
    expect(page.locator("#save-status")).to_contain_text("2 unsent changes")
    expect(page.locator(".unsent-badge")).to_have_count(2)
    assert Annotation.objects.count() == 1  # the one whose answer got lost

    page.keyboard.press("d")
    wait_for_image(page, images[1])
    choose_type(page, world, "point")
    click_at(page, mapper.client(200, 150))
    page.keyboard.press("v")
    expected[images[1].pk] = [vector_of([mapper.expected(*mapper.client(200, 150))])]
    expect(page.locator("#save-status")).to_contain_text("3 unsent changes")

    # Reload while still offline: the page warns (beforeunload), then finds its changes again.
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    page.reload()
    wait_for_image(page, images[1])
    assert dialogs == ["beforeunload"]
    expect(page.locator("#save-status")).to_contain_text("3 unsent changes")
    expect(page.locator(".unsent-badge")).to_have_count(1)
    assert Annotation.objects.count() == 1

    state["down"] = False  # the network comes back
    expect(page.locator("#save-status")).to_have_attribute("data-state", "saved", timeout=20_000)
    expect(page.locator(".unsent-badge")).to_have_count(0)
    saved = {}
    for annotation in Annotation.objects.order_by("id"):
        saved.setdefault(annotation.image_id, []).append(annotation.vector)
    assert saved == expected
    stored = page.evaluate(
        "() => Object.keys(localStorage).filter(k => k.startsWith('imagetagger.outbox.'))"
        ".map(k => JSON.parse(localStorage.getItem(k)).ops.length)"
    )
    assert stored == [0], "one outbox (the reloaded page adopted the old one), empty"
    assert page.evaluate("() => window.annotatePage.outbox.unsent") == 0


def test_a_similar_annotation_is_refused_with_a_clear_message(page, live_server, world):
    image = world["images"][0]
    other = annotate_service(world, image, "point", {"x1": 100, "y1": 100})
    open_annotate(page, live_server, world)
    choose_type(page, world, "point")
    mapper = Mapper(page)
    click_at(page, mapper.client(180, 180))
    page.keyboard.press("Control+z")  # nothing saved yet: undo drops the point
    point = mapper.client(150, 40)
    click_at(page, point)
    drag(page, point, mapper.client(102, 103))  # move it next to the existing one
    page.keyboard.press("v")
    expect(page.locator("#annotate-messages")).to_contain_text(
        f"similar annotation of type b-point (annotation {other.pk})"
    )
    expect(page.locator("#annotate-messages")).to_contain_text("It is highlighted")
    expect(page.locator("#coordinates")).not_to_have_text("–")  # the drawing comes back
    wait_saved(page)
    assert Annotation.objects.count() == 1


@pytest.mark.parametrize("choice", ["mine", "theirs"])
def test_a_stale_edit_shows_both_versions_and_lets_the_user_choose(page, live_server, world, make_user, choice):
    from annotations import services

    image = world["images"][0]
    box = annotate_service(world, image, "box", {"x1": 50, "y1": 50, "x2": 150, "y2": 120})
    open_annotate(page, live_server, world, query=f"?edit={box.pk}")
    expect(page.locator("#edit-banner")).to_be_visible()
    colleague = make_user("colleague")
    world["team"].memberships.create(user=colleague, is_admin=False)
    services.update_annotation(
        actor=colleague, annotation=box, expected_version=1, vector={"x1": 10, "y1": 10, "x2": 20, "y2": 20}
    )
    page.keyboard.press("l")
    page.keyboard.press("v")
    dialog = page.locator("#conflict-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#conflict-mine")).to_contain_text("(51, 50) (151, 120)")
    expect(page.locator("#conflict-theirs")).to_contain_text("(10, 10) (20, 20)")
    expect(page.locator("#conflict-theirs")).to_contain_text("colleague")
    page.locator(f"#conflict-{choice}-button").click()
    expect(dialog).to_be_hidden()
    wait_saved(page)
    box.refresh_from_db()
    if choice == "mine":
        assert box.vector == {"x1": 51, "y1": 50, "x2": 151, "y2": 120}
        assert box.version == 3
        assert box.last_editor == world["user"]
    else:
        assert box.vector == {"x1": 10, "y1": 10, "x2": 20, "y2": 20}
        assert box.version == 2
        expect(page.locator("#annotation-list")).to_contain_text("(10, 10) (20, 20)")


def test_preloading_by_list_position(page, live_server, world):
    for index in range(6, 10):
        add_image_file(world["set"], name=f"img{index}.png", fileobj=io.BytesIO(png(index)), uploader=world["user"])
    images = list(Image.objects.filter(image_set=world["set"]).order_by("name"))
    open_annotate(page, live_server, world, images[3])
    # The current image, the previous 2 and the next 5 (by list position), fetched and decoded.
    wanted = sorted(image.pk for image in images[1:9])
    page.wait_for_function(f"() => window.annotatePage.decodedImages().length === {len(wanted)}")
    assert page.evaluate("() => window.annotatePage.decodedImages()") == wanted
    # The next image is shown from the cache: no new request for its file.
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.keyboard.press("d")
    wait_for_image(page, images[4])
    assert not [url for url in requested if f"/images/image/{images[4].pk}/" in url]


def test_filter_missing_annotations_of_a_type(page, live_server, world):
    images = world["images"]
    annotate_service(world, images[1], "box", {"x1": 1, "y1": 1, "x2": 5, "y2": 5})
    annotate_service(world, images[3], "box", None)
    open_annotate(page, live_server, world, images[1])
    expect(page.locator("#image-list-count")).to_have_text("Image 2 of 6")
    page.locator("#image-filter").select_option(label="Missing a-box")
    # img1 is labelled, so the first image of the filtered list opens.
    wait_for_image(page, images[0])
    expect(page.locator("#image-list-count")).to_have_text("Image 1 of 4 (filtered)")
    expect(page.locator(".image-list-row")).to_have_text(["img0.png", "img2.png", "img4.png", "img5.png"])
    expect(page).to_have_url(re.compile(rf"/annotations/{images[0].pk}/\?filter={world['types']['box'].pk}$"))
    page.keyboard.press("d")
    wait_for_image(page, images[2])
    mapper = Mapper(page)
    drag(page, mapper.client(10, 10), mapper.client(50, 50))
    page.keyboard.press("f")
    wait_for_image(page, images[4])
    wait_saved(page)
    page.locator("#image-filter-refresh").click()
    expect(page.locator(".image-list-row")).to_have_text(["img0.png", "img4.png", "img5.png"])
    expect(page.locator("#image-list-count")).to_have_text("Image 2 of 3 (filtered)")
    # The filter survives a reload.
    page.reload()
    wait_for_image(page, images[4])
    expect(page.locator("#image-filter")).to_have_value(str(world["types"]["box"].pk))
    expect(page.locator(".image-list-row")).to_have_count(3)


def test_the_image_list_stays_small_for_many_images(page, live_server, world):
    from images.tests.factories import add_image_rows

    add_image_rows(world["set"], 1500)  # img00000.png … img01499.png, without files
    real = world["images"][0]
    Image.objects.filter(pk=real.pk).update(name="img01000x.png")  # lies between img01000 and img01001
    list_requests = []
    page.on("request", lambda request: "/images/?" in request.url and list_requests.append(request.url))
    open_annotate(page, live_server, world, real)
    expect(page.locator("#image-list-count")).to_have_text("Image 1002 of 1506")
    active = page.locator(".image-list-row.active")
    expect(active).to_have_text("img01000x.png")
    expect(active).to_be_in_viewport()
    rows = page.locator(".image-list-row").count()
    assert rows < 80, rows
    assert len(list_requests) <= 2, list_requests
    page.locator("#image-list").evaluate("list => { list.scrollTop = list.scrollHeight; }")
    expect(page.locator(".image-list-row").last).to_have_text("img5.png")
    assert page.locator(".image-list-row").count() < 80
