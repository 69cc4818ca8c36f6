"""The label types a set uses: ``services.set_annotation_types``, the set's edit form and the set page's
colour legend."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import AnnotationType
from images import services
from images.tests.factories import make_imageset

pytestmark = pytest.mark.django_db


class SetWorld:
    def __init__(self, make_user, make_team):
        self.admin = make_user("sadmin")
        self.member = make_user("smember")
        self.outsider = make_user("soutsider")
        self.team = make_team("Robots", admins=[self.admin], members=[self.member])
        self.other = make_team("Others", admins=[self.outsider])
        self.ball = AnnotationType.objects.create(name="ball", team=self.team, color="#3cb44b", sort_order=1)
        self.goal = AnnotationType.objects.create(name="goal", team=self.team, color="#4363d8", sort_order=2)
        self.site = AnnotationType.objects.create(name="car", color="#f58231")
        self.retired = AnnotationType.objects.create(name="old", color="#808000", active=False)
        self.foreign = AnnotationType.objects.create(name="secret", team=self.other, color="#911eb4")
        self.image_set = make_imageset(self.team, name="Field")

    def chosen(self):
        return sorted(self.image_set.annotation_types.values_list("name", flat=True))

    @property
    def edit_url(self):
        return f"/images/imageset/{self.image_set.pk}/edit/"


@pytest.fixture
def sw(make_user, make_team):
    return SetWorld(make_user, make_team)


# --- the service ----------------------------------------------------------------------------------


def test_members_choose_the_set_types_and_an_empty_list_means_all(sw):
    services.set_annotation_types(actor=sw.member, image_set=sw.image_set, annotation_types=[sw.ball, sw.site])
    assert sw.chosen() == ["ball", "car"]
    services.set_annotation_types(actor=sw.member, image_set=sw.image_set, annotation_types=[])
    assert sw.chosen() == []


@pytest.mark.parametrize("bad", ["retired", "foreign"])
def test_types_the_set_may_not_use_are_refused_by_name_and_nothing_changes(sw, bad):
    services.set_annotation_types(actor=sw.admin, image_set=sw.image_set, annotation_types=[sw.goal])
    with pytest.raises(ValidationError) as refused:
        services.set_annotation_types(
            actor=sw.admin, image_set=sw.image_set, annotation_types=[sw.ball, getattr(sw, bad)]
        )
    message = refused.value.message_dict["annotation_types"][0]
    assert f"“{getattr(sw, bad).name}”" in message
    assert "ball" not in message
    assert sw.chosen() == ["goal"]


def test_users_without_edit_set_may_not_choose(sw):
    with pytest.raises(PermissionDenied):
        services.set_annotation_types(actor=sw.outsider, image_set=sw.image_set, annotation_types=[sw.ball])
    assert sw.chosen() == []


# --- the edit page --------------------------------------------------------------------------------


def edit_data(**changes):
    data = {"name": "Field", "priority": "0", "annotation_types": []}
    data.update(changes)
    return data


def test_the_edit_form_lists_the_usable_types_with_swatch_and_owner(client_for, sw):
    sw.image_set.annotation_types.set([sw.goal])
    html = client_for(sw.member).get(sw.edit_url).content.decode()
    assert "Label types this set uses" in html
    assert f'id="set-type-{sw.goal.pk}" checked' in html
    assert f'id="set-type-{sw.ball.pk}">' in html
    assert 'data-swatch="#3cb44b"' in html
    assert '<span class="badge text-bg-light">Robots</span>' in html
    assert '<span class="badge text-bg-light">site</span>' in html
    assert "secret" not in html
    assert f'value="{sw.retired.pk}"' not in html


def test_saving_the_edit_form_chooses_the_types(client_for, sw):
    response = client_for(sw.member).post(sw.edit_url, edit_data(annotation_types=[sw.ball.pk, sw.site.pk]))
    assert response.status_code == 302
    assert sw.chosen() == ["ball", "car"]
    response = client_for(sw.member).post(sw.edit_url, edit_data())
    assert response.status_code == 302
    assert sw.chosen() == []


@pytest.mark.parametrize("bad", ["foreign", "retired", "nonsense"])
def test_a_type_the_set_may_not_use_is_a_400_and_nothing_is_saved(client_for, sw, bad):
    sw.image_set.annotation_types.set([sw.goal])
    value = "x" if bad == "nonsense" else getattr(sw, bad).pk
    response = client_for(sw.admin).post(sw.edit_url, edit_data(name="Renamed", annotation_types=[sw.ball.pk, value]))
    assert response.status_code == 400
    html = response.content.decode()
    expected = "“x” is not a type id." if bad == "nonsense" else f"This set cannot use the type with id {value}."
    assert expected in html
    sw.image_set.refresh_from_db()
    assert sw.image_set.name == "Field"
    assert sw.chosen() == ["goal"]


def test_a_refusal_of_the_details_saves_no_types_either(client_for, sw):
    response = client_for(sw.admin).post(sw.edit_url, edit_data(name="", annotation_types=[sw.ball.pk]))
    assert response.status_code == 400
    assert sw.chosen() == []


@pytest.mark.parametrize("who", ["outsider", None])
def test_others_cannot_change_the_types(client, client_for, sw, who):
    sw.image_set.public = True
    sw.image_set.save()
    browser = client_for(sw.outsider) if who else client
    response = browser.post(sw.edit_url, edit_data(annotation_types=[sw.ball.pk]))
    assert response.status_code in (302, 403)
    if who:
        assert response.status_code == 403
    assert sw.chosen() == []


# --- the set page's legend ------------------------------------------------------------------------


def legend(html):
    start = html.index('id="type-legend"')
    return html[start : html.index("</ul>", start)]


def test_the_set_page_shows_a_colour_legend_of_the_set_types(client_for, sw):
    url = f"/images/imageset/{sw.image_set.pk}/"
    shown = legend(client_for(sw.member).get(url).content.decode())
    assert "ball" in shown
    assert "goal" in shown
    assert "car" in shown
    assert 'data-swatch="#4363d8"' in shown
    assert "secret" not in shown
    assert "old" not in shown
    sw.image_set.annotation_types.set([sw.goal])
    shown = legend(client_for(sw.member).get(url).content.decode())
    assert "goal" in shown
    assert "ball" not in shown


@pytest.mark.parametrize("url", ["page", "edit"])
def test_the_set_pages_run_a_constant_number_of_queries(client_for, sw, url):
    client = client_for(sw.admin)
    path = f"/images/imageset/{sw.image_set.pk}/" if url == "page" else sw.edit_url

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(path).status_code == 200
        return len(queries)

    client.get(path)
    small = count()
    for number in range(10):
        AnnotationType.objects.create(name=f"t{number}", team=sw.team, sort_order=10 + number)
        AnnotationType.objects.create(name=f"s{number}")
    sw.image_set.annotation_types.set(AnnotationType.objects.filter(name__startswith="t"))
    assert count() == small
