"""One way to write dates and times across the site: ISO order with the time zone, whether a
template writes the value as it is or with the DATETIME_FORMAT name (imagetagger/formats/)."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import timezone

MOMENT = datetime.datetime(2026, 12, 3, 6, 1, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    "source", ["{{ moment }}", '{{ moment|date:"DATETIME_FORMAT" }}', '{{ moment|date:"SHORT_DATETIME_FORMAT" }}']
)
def test_a_moment_is_written_in_iso_order_with_the_zone(source, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    with timezone.override(ZoneInfo("Europe/Berlin")):
        assert Template(source).render(Context({"moment": MOMENT})) == "2026-12-03 07:01 CET"


def test_a_day_is_written_in_iso_order():
    assert Template("{{ day }}").render(Context({"day": datetime.date(2026, 12, 3)})) == "2026-12-03"


@pytest.mark.django_db
def test_the_label_import_page_writes_its_time_like_every_other_page(make_user, make_team, client_for, storage_dir):
    from exports import imports
    from images.tests.factories import make_imageset

    ada = make_user("ada")
    team = make_team("Robots", admins=[ada])
    image_set = make_imageset(team)
    done = imports.import_labels(
        actor=ada, image_set=image_set, fileobj=io.BytesIO(b"nothing.png|car|not in image\n"), format="pipe"
    )
    html = client_for(ada).get(f"/imports/{done.pk}/").content.decode()
    written = timezone.localtime(done.time).strftime("%Y-%m-%d %H:%M %Z")
    assert written in html
    assert " a.m." not in html
    assert " p.m." not in html
