"""The export placeholder language: spec §3.3 composition, §3.4 placeholders, tokenised rendering."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import VectorType
from exports.template import (
    geometry,
    render_export,
    render_filename,
    render_to_string,
    tokenize,
    unknown_placeholders,
    validate_templates,
)

from .format_factories import box, make_annotation, make_format, make_image, make_set, make_type, points

pytestmark = pytest.mark.django_db

ROUND_TRIP = "%%imagename|%%type|{%%vector}|%%ifblurredb%%endif%%ifconcealedc%%endif"
VECTOR_JSON = '"x%%count1": "%%x","y%%count1": "%%y",'


def render(export_format, image_set):
    return render_to_string(export_format, image_set)[0]


def test_worked_example_of_spec_3_3(make_team):
    team = make_team("teamA")
    image_set = make_set(team, "set1")
    # relwidth 0.15625 = 100 / 640 and 0.0765625 = 49 / 640: the image is 640 wide.
    image = make_image(image_set, "my img.v2.png", width=640, height=480)
    ball = make_type("ball", VectorType.BOUNDING_BOX)
    goal = make_type("goal", VectorType.POLYGON)
    make_annotation(image, ball, box(10, 20, 110, 220), blurred=True)
    make_annotation(image, goal, points((1, 1), (50, 9), (5, 40)), concealed=True)
    make_annotation(image, ball, None)
    export_format = make_format(
        team,
        [ball, goal],
        base_format="BEGIN %%imageset/%%team\n%%content END",
        annotation_format=ROUND_TRIP + "|%%cx,%%cy|%%relwidth",
        vector_format=VECTOR_JSON,
        not_in_image_format="%%imagename|%%type|not in image",
    )

    text, stats = render_to_string(export_format, image_set)

    assert text == (
        "BEGIN set1/teamA\n"
        "\n"
        'my img.v2.png|ball|{"x1": "10","y1": "20","x2": "110","y2": "220",}|b|60.0,120.0|0.15625\n'
        'my img.v2.png|goal|{"x1": "1","y1": "1","x2": "50","y2": "9","x3": "5","y3": "40",}|c|25.5,20.5|0.0765625\n'
        "my img.v2.png|ball|not in image\n"
        " END"
    )
    assert stats == {"annotations": 3}


@pytest.fixture
def scene(make_team):
    team = make_team("Robots")
    image_set = make_set(team, "Field", location="Hall 3", description="Day one")
    image = make_image(image_set, "a.png", width=200, height=100)
    ball = make_type("ball", VectorType.BOUNDING_BOX)
    return team, image_set, image, ball


def test_every_annotation_placeholder(scene, make_user):
    team, image_set, image, ball = scene
    annotation = make_annotation(image, ball, box(10, 20, 50, 60), votes=[(make_user(), True), (make_user(), True)])
    names = [
        "imageset", "imagewidth", "imageheight", "imagename", "imageid", "type", "veriamount",
        "rad", "relrad", "dia", "reldia", "cx", "relcx", "cy", "relcy", "minx", "relminx", "maxx", "relmaxx",
        "miny", "relminy", "maxy", "relmaxy", "width", "relwidth", "height", "relheight",
    ]  # fmt: skip
    export_format = make_format(team, [ball], annotation_format=";".join(f"{n}=%%{n}" for n in names))

    line = render(export_format, image_set).split("\n")[1]

    values = dict(item.split("=") for item in line.split(";"))
    radius = 20.0
    assert values == {
        "imageset": "Field",
        "imagewidth": "200",
        "imageheight": "100",
        "imagename": "a.png",
        "imageid": str(image.pk),
        "type": "ball",
        "veriamount": "2",
        "rad": "20.0",
        "relrad": str((radius / 200 + radius / 100) / 2),
        "dia": "40.0",
        "reldia": str((radius / 200 + radius / 100) / 2 * 2),
        "cx": "30.0",
        "relcx": "0.15",
        "cy": "40.0",
        "relcy": "0.4",
        "minx": "10",
        "relminx": "0.05",
        "maxx": "50",
        "relmaxx": "0.25",
        "miny": "20",
        "relminy": "0.2",
        "maxy": "60",
        "relmaxy": "0.6",
        "width": "40",
        "relwidth": "0.2",
        "height": "40",
        "relheight": "0.4",
    }
    assert annotation.pk


def test_vector_placeholders(scene):
    team, image_set, image, ball = scene
    make_annotation(image, ball, box(10, 20, 50, 60))
    export_format = make_format(
        team,
        [ball],
        annotation_format="[%%vector]",
        vector_format="%%count0/%%count1:%%x,%%y(%%relx,%%rely)%%br",
    )
    assert render(export_format, image_set) == "\n[0/1:10,20(0.05,0.2)\n1/2:50,60(0.25,0.6)\n]\n"


def test_default_vector_format_reads_br_before_y(scene):
    team, image_set, image, ball = scene
    make_annotation(image, ball, box(1, 2, 3, 4))
    export_format = make_format(team, [ball], annotation_format="%%vector")  # default vector format
    assert render(export_format, image_set) == "\nx1: 1\ny1: 2\nx2: 3\ny2: 4\n\n"


def test_geometry_of_points_lines_and_multi_lines():
    point = geometry({"x1": 5, "y1": 7}, VectorType.POINT, 10, 10)
    assert (point["cx"], point["cy"], point["width"], point["dia"], point["rad"]) == ("5", "7", "0", "0", "0.0")
    assert point["relcx"] == "0.5"
    # A line drawn upwards: the original wrote a negative height.
    line = geometry({"x1": 0, "y1": 8, "x2": 4, "y2": 2}, VectorType.LINE, 10, 10)
    assert (line["width"], line["height"], line["cx"], line["cy"], line["dia"]) == ("4", "6", "2.0", "5.0", "0")
    # A multi-line's centre was (0, 0): it is the bounding-box centre now.
    multi = geometry(points((0, 0), (10, 4), (6, 8)), VectorType.MULTI_LINE, 20, 20)
    assert (multi["cx"], multi["cy"], multi["width"], multi["height"]) == ("5.0", "4.0", "10", "8")
    polygon = geometry(points((1, 1), (50, 9), (5, 40)), VectorType.POLYGON, 640, 480)
    assert (polygon["cx"], polygon["cy"], polygon["dia"], polygon["rad"]) == ("25.5", "20.5", "44.0", "22.0")


def test_base_and_name_placeholders(scene):
    team, image_set, image, ball = scene
    make_annotation(image, ball, box(1, 2, 3, 4))
    export_format = make_format(
        team,
        [ball],
        base_format="%%imageset|%%setdescription|%%team|%%setlocation|%%content|",
        annotation_format="%%type",
        name_format="%%team_%%imageset_%%setlocation_%%exportid.txt",
    )
    assert render(export_format, image_set) == "Field|Day one|Robots|Hall 3|\nball\n|"
    assert render_filename(export_format, image_set, 17) == "Robots_Field_Hall 3_17.txt"
    assert render_filename(export_format, image_set) == "Robots_Field_Hall 3_%%exportid.txt"


def test_empty_values_are_empty_and_teamless_sets_are_deleted_team(scene):
    team, image_set, image, ball = scene
    make_annotation(image, ball, box(1, 2, 3, 4))
    export_format = make_format(team, [ball], base_format="[%%setdescription][%%setlocation][%%team]%%content")
    image_set.description = ""
    image_set.location = ""
    image_set.team = None
    image_set.save()
    assert render(export_format, image_set).startswith("[][][DeletedTeam]\n")
    assert render_filename(export_format, image_set, 1) == "export_1.txt"


def test_not_in_image_placeholders_and_no_conditionals_there(scene):
    team, image_set, image, ball = scene
    make_annotation(image, ball, None, blurred=True)
    export_format = make_format(
        team,
        [ball],
        not_in_image_format="%%imageset %%imagewidth %%imageheight %%imagename %%imageid %%type %%veriamount "
        "%%ifblurredX%%endif %%cx",
    )
    assert render(export_format, image_set) == (f"\nField 200 100 a.png {image.pk} ball 0 %%ifblurredX%%endif %%cx\n")


@pytest.mark.parametrize(
    ("blurred", "concealed", "expected"),
    [(False, False, "NB NC"), (True, False, "B NC"), (False, True, "NB C"), (True, True, "B C")],
)
def test_conditionals(scene, blurred, concealed, expected):
    team, image_set, image, ball = scene
    make_annotation(image, ball, box(1, 2, 3, 4), blurred=blurred, concealed=concealed)
    export_format = make_format(
        team,
        [ball],
        annotation_format="%%ifblurredB%%endif%%ifnotblurredNB%%endif %%ifconcealedC%%endif%%ifnotconcealedNC%%endif",
    )
    assert render(export_format, image_set) == f"\n{expected}\n"


def test_conditionals_use_the_derived_flags_and_may_hold_placeholders(scene):
    team, image_set, image, _ = scene
    plain = make_type("plain", enable_blurred=False, enable_concealed=False)
    make_annotation(image, plain, box(1, 2, 3, 4), blurred=True, concealed=True)
    export_format = make_format(
        team, [plain], annotation_format="%%ifblurred%%type blurred%%endif%%ifnotconcealed%%type clear %%minx%%endif"
    )
    assert render(export_format, image_set) == "\nplain clear 1\n"


def test_no_nesting_and_unterminated_conditionals_stay_literal(scene):
    team, image_set, image, ball = scene
    make_annotation(image, ball, box(1, 2, 3, 4), blurred=True)
    export_format = make_format(
        team, [ball], annotation_format="%%ifblurred a %%ifconcealed b %%endif c %%endif|%%ifconcealed open"
    )
    # The first %%if… runs to the first %%endif; the inner %%if… and the second %%endif are text.
    assert render(export_format, image_set) == "\n a %%ifconcealed b  c %%endif|%%ifconcealed open\n"


def test_data_containing_placeholders_is_never_substituted(make_team):
    team = make_team("%%imageset")
    image_set = make_set(team, "%%team set", description="%%content %%setlocation", location="%%x")
    image = make_image(image_set, "%%type %%imagename %%cx.png", width=10, height=10)
    odd = make_type("%%vector%%cx")
    make_annotation(image, odd, box(1, 2, 3, 4))
    make_annotation(make_image(image_set, "%%annotations.png"), odd, None)
    export_format = make_format(
        team,
        [odd],
        base_format="%%imageset|%%team|%%setdescription|%%setlocation|%%content",
        image_aggregation=True,
        image_format="<%%imagename %%annoamount>%%annotations",
        annotation_format="%%imagename/%%type/%%vector",
        vector_format="%%x",
        not_in_image_format="%%imagename/%%type",
    )
    assert render(export_format, image_set) == (
        "%%team set|%%imageset|%%content %%setlocation|%%x|\n"
        "<%%annotations.png 1>%%annotations.png/%%vector%%cx\n\n"
        "<%%type %%imagename %%cx.png 1>%%type %%imagename %%cx.png/%%vector%%cx/13\n\n"
    )
    assert render_filename(make_format(team, [odd], name_format="%%imageset-%%team"), image_set, 1) == (
        "%%team set-%%imageset"
    )


def test_aggregation_groups_by_image_and_omits_images_without_annotations(scene, make_user):
    team, image_set, first, ball = scene
    goal = make_type("goal")
    empty = make_image(image_set, "b.png")
    only_other_type = make_image(image_set, "c.png")
    last = make_image(image_set, "d.png", width=30, height=40)
    make_annotation(first, ball, box(1, 2, 3, 4))
    make_annotation(first, ball, None)
    make_annotation(only_other_type, goal, box(1, 2, 3, 4))
    make_annotation(last, ball, box(5, 6, 7, 8))
    export_format = make_format(
        team,
        [ball],
        image_aggregation=True,
        base_format="%%content.",
        image_format="%%imageset %%imagename %%imageid %%imagewidth x %%imageheight (%%annoamount):\n%%annotations--",
        annotation_format="%%minx",
        not_in_image_format="none",
    )
    text, stats = render_to_string(export_format, image_set)
    assert text == (
        f"\nField a.png {first.pk} 200 x 100 (2):\n1\nnone\n--\nField d.png {last.pk} 30 x 40 (1):\n5\n--\n."
    )
    assert stats == {"annotations": 3}
    assert empty.pk


def test_order_is_image_name_then_annotation_id(make_team):
    team = make_team()
    image_set = make_set(team)
    ball = make_type("ball")
    later_name = make_image(image_set, "b.png")
    earlier_name = make_image(image_set, "a.png")
    first = make_annotation(later_name, ball, box(1, 1, 2, 2))
    second = make_annotation(earlier_name, ball, box(2, 2, 3, 3))
    third = make_annotation(later_name, ball, box(3, 3, 4, 4))
    fourth = make_annotation(earlier_name, ball, box(4, 4, 5, 5))
    export_format = make_format(team, [ball], annotation_format="%%imagename %%minx")
    assert render(export_format, image_set) == "\na.png 2\na.png 4\nb.png 1\nb.png 3\n"
    assert first.pk < second.pk < third.pk < fourth.pk


def test_selection_types_score_and_raw_flags(make_team, make_user):
    team = make_team()
    image_set = make_set(team)
    image = make_image(image_set, "a.png")
    ball = make_type("ball", enable_blurred=False)
    goal = make_type("goal")
    voter, other = make_user(), make_user()
    make_annotation(image, ball, box(1, 1, 2, 2))  # score 0
    make_annotation(image, ball, box(2, 2, 3, 3), votes=[(voter, True)])  # score 1
    make_annotation(image, ball, box(3, 3, 4, 4), votes=[(voter, False), (other, False)])  # score -2
    make_annotation(image, ball, box(4, 4, 5, 5), blurred=True)  # raw flag counts for the filter
    make_annotation(image, ball, box(5, 5, 6, 6), concealed=True)
    make_annotation(image, goal, box(6, 6, 7, 7))  # type not in the format
    in_other_set = make_image(make_set(team), "a.png")
    make_annotation(in_other_set, ball, box(7, 7, 8, 8))
    export_format = make_format(team, [ball], annotation_format="%%minx", base_format="%%content")

    assert render(export_format, image_set) == "\n1\n2\n4\n5\n"
    export_format.min_verifications = 1
    assert render(export_format, image_set) == "\n2\n"
    export_format.min_verifications = -5
    export_format.include_blurred = False
    export_format.include_concealed = False
    assert render(export_format, image_set) == "\n1\n2\n3\n"


def test_empty_selection_and_repeated_content(scene):
    team, image_set, image, ball = scene
    export_format = make_format(team, [ball], base_format="[%%content]")
    assert render_to_string(export_format, image_set) == ("[\n]", {"annotations": 0})
    make_annotation(image, ball, box(1, 2, 3, 4))
    export_format.base_format = "%%content%%content"
    export_format.annotation_format = "%%minx"
    assert render_to_string(export_format, image_set) == ("\n1\n\n1\n", {"annotations": 1})


def test_unknown_placeholders_stay_literal(scene):
    team, image_set, image, ball = scene
    make_annotation(image, ball, box(1, 2, 3, 4))
    export_format = make_format(team, [ball], annotation_format="%%foo %%minxy 100%% %%")
    assert render(export_format, image_set) == "\n%%foo 1y 100%% %%\n"


def test_streams_in_chunks_with_constant_queries(make_team, monkeypatch):
    monkeypatch.setattr("exports.template.CHUNK_CHARS", 4096)
    team = make_team()
    ball = make_type("ball")

    def build(count):
        image_set = make_set(team)
        for index in range(count):
            image = make_image(image_set, f"img{index:03d}.png")
            make_annotation(image, ball, box(1, 2, 3 + index, 4))
        return image_set

    export_format = make_format(team, [ball], annotation_format="%%imagename %%maxx " + "x" * 500)
    counts = []
    for image_set in (build(3), build(60)):
        with CaptureQueriesContext(connection) as queries:
            chunks, stats = render_export(export_format, image_set, batch_size=10)
            chunks = list(chunks)
        counts.append(len(queries))
        assert stats["annotations"] == len(image_set.images.all())
    assert counts[0] == counts[1]
    assert len(chunks) > 5  # about 31,000 characters in 4 KiB chunks
    assert "".join(chunks).count("\n") == 61


def test_tokenize_longest_match_and_validation():
    assert tokenize("%%bry", "vector")[1] == "y"
    assert unknown_placeholders("%%imagesize %%imagename %%bry %%count12 %%zzz 50%%", "vector") == [
        "%%imagesize",
        "%%imagename",
        "%%zzz",
    ]
    errors = validate_templates(
        {
            "base_format": "%%imageset only",
            "annotation_format": "%%ifblurred %%ifconcealed %%endif %%endif %%annotations",
            "vector_format": "%%cx %%x",
            "not_in_image_format": "%%minx %%ifblurred",
            "name_format": "%%exportid %%imagename",
            "image_format": "",
        }
    )
    assert errors["base_format"] == ["The base format must contain %%content."]
    assert errors["annotation_format"] == [
        "Unknown placeholder here: %%annotations.",
        "%%ifconcealed inside %%ifblurred: conditionals cannot be nested.",
        "%%endif without an opening %%if….",
    ]
    assert errors["vector_format"] == ["Unknown placeholder here: %%cx."]
    assert errors["not_in_image_format"] == ["Unknown placeholders here: %%minx, %%ifblurred."]
    assert errors["name_format"] == ["Unknown placeholder here: %%imagename."]
    assert "image_format" not in errors
    assert validate_templates({"annotation_format": "%%ifblurred x"}) == {
        "annotation_format": ["%%ifblurred has no closing %%endif."]
    }
    assert validate_templates({"image_format": "%%imagename"}, image_aggregation=True) == {
        "image_format": ["The image format should contain %%annotations when grouping by images."]
    }
    assert validate_templates({"base_format": "%%content", "annotation_format": ROUND_TRIP}) == {}


def test_braces_in_templates_and_data_are_plain_text(make_team):
    team = make_team()
    image_set = make_set(team, "{imageset}")
    image = make_image(image_set, "{0}{imagename}.png")
    odd = make_type("{type}")
    make_annotation(image, odd, box(1, 2, 3, 4), blurred=True)
    export_format = make_format(
        team,
        [odd],
        annotation_format="{%%imagename} {{%%type}} %%ifblurred{b}%%endif {x}",
        vector_format="{%%x}",
        not_in_image_format="{}",
    )
    assert render(export_format, image_set) == "\n{{0}{imagename}.png} {{{type}}} {b} {x}\n"
