"""The site's routes as pages, for the browser tests that visit every page (test_narrow_pages.py,
test_csp.py).

Every route of the site is walked from the URL configuration, so a new page is visited without being
listed. ``build_wide_world`` makes data for every route that takes parameters, and data that makes pages
wide: the demo team plus a set of 60 images with long file names, a long team name, a long type name with
attributes, a long user name, an export, an import, a message, a tool and an API token.

Routes that are not pages (POST-only actions, downloads, JSON answers, redirects) are listed in
NOT_PAGES with what they answer; ``site_pages`` reports one that turns into a page, or a page that stops
answering, so the list stays true. Pages for visitors without a session are in LOGGED_OUT.
"""

import io
from datetime import timedelta

from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from annotations import services as annotation_services
from annotations import types as type_services
from annotations.models import Annotation, VectorType
from assist import services as assist_services
from base.redirects import ACCOUNT_ADDRESSES
from e2e.helpers import png_bytes
from exports import imports as import_services
from exports import jobs as export_jobs
from exports.models import ExportFormat
from images.ingest import add_image_file
from images.services import create_imageset
from tagger_messages import services as message_services
from tools import services as tool_services
from users import services as user_services
from users.models import Team, User
from webhooks import services as webhook_services

LONG_TEAM = "Night-Shift-Perception-Crew-07"  # the longest a team name may be (30)
LONG_USER = "annotator.maximilian.wolfeschlegelsteinhausenbergerdorff"
LONG_SET = "Survey-2026-11-30-Highway-A7-Northbound-Camera-07-Left-Rectified"
LONG_TYPE = "pedestrian_strollers"  # the longest a type name may be (20)

# Routes that are not pages, by name, with what a GET by the team admin answers.
NOT_PAGES = {
    "healthz": "text",
    "readyz": "JSON",
    "setup/": "404 once an account exists",
    "user/logout/": "405 (POST)",
    "user/oidc/login/": "302 to the single sign-on provider (404 while single sign-on is off)",
    "user/oidc/callback/": "302 to the login page without the provider's answer (404 while single sign-on is off)",
    "accounts/activate/": "200 only with a key (checked logged out)",
    "users/team/<int:team_id>/add/": "405 (POST)",
    "users/team/<int:team_id>/grant_admin/<int:user_id>/": "405 (POST)",
    "users/team/<int:team_id>/revoke_admin/<int:user_id>/": "405 (POST)",
    "users/team/<int:team_id>/types/<int:type_id>/activate/": "405 (POST)",
    "users/team/<int:team_id>/types/<int:type_id>/deactivate/": "405 (POST)",
    "users/tokens/create/": "405 (POST)",
    "users/tokens/<int:token_id>/revoke/": "405 (POST)",
    "images/": "302 to the home page",
    "images/imageset/tags/autocomplete/": "JSON",
    "images/imageset/<int:set_id>/pin/": "405 (POST)",
    "images/imageset/<int:set_id>/tags/add/": "405 (POST)",
    "images/imageset/<int:set_id>/tags/remove/": "405 (POST)",
    "images/imageset/<int:set_id>/images/delete/": "405 (POST)",
    "images/image/<int:image_id>/": "the image file",
    "images/image/<int:image_id>/thumbnail/": "the thumbnail file",
    "images/imageset/<int:imageset_id>/download/": "the zip or 404 before it is built",
    "images/imageset/<int:imageset_id>/zip-status/": "JSON",
    "images/imageset/<int:imageset_id>/upload/": "405 (POST)",
    "annotations/imageset/<int:imageset_id>/annotate/": "302 to the first image",
    "annotations/imageset/<int:imageset_id>/position/": "JSON",
    "annotations/imageset/<int:imageset_id>/verify/": "302 to the first label",
    "annotations/annotateset/<int:imageset_id>/": "302 to the first image",
    "annotations/manage/<int:set_id>/delete/": "405 (POST)",
    "annotations/manage/<int:set_id>/annotation/<int:annotation_id>/delete/": "405 (POST)",
    "administration/annotation_type/edit/<int:type_id>/": "405 (POST)",
    "administration/annotation_type/activate/<int:type_id>/": "405 (POST)",
    "administration/annotation_type/deactivate/<int:type_id>/": "405 (POST)",
    "administration/annotation_type/migrate/bbt0p/<int:type_id>/": "405 (POST)",
    "administration/annotation_type/migrate/bbt4p/<int:type_id>/": "405 (POST)",
    "exports/<int:export_id>/download/": "the export file",
    "exports/<int:export_id>/status/": "JSON",
    "exports/imagesets/<int:set_id>/": "JSON (the set page's export panel)",
    "exports/imagesets/<int:set_id>/create/": "405 (POST)",
    "exports/formats/preview/<int:set_id>/": "405 (POST)",
    "tools/download/<int:tool_id>/": "the tool file",
    "tagger_messages/read_message/<int:message_id>/": "405 (POST)",
    "tagger_messages/read_message/all/": "405 (POST)",
    "tagger_messages/read_message/global_message/all/": "405 (POST)",
    "tagger_messages/delete_message/<int:message_id>/": "405 (POST)",
    "imports/imagesets/<int:set_id>/": "405 (POST)",
    "imports/<int:import_id>/report.csv": "CSV",
    "assist/image/<str:token>/": "the image file, for a model backend holding a valid link (assist.links)",
    "assist/backends/<int:backend_id>/check/": "405 (POST)",
    "assist/backends/<int:backend_id>/delete/": "405 (POST)",
    "assist/imagesets/<int:set_id>/prelabel/": "405 (POST)",
    "assist/jobs/<int:job_id>/cancel/": "405 (POST)",
    **{
        f"webhooks/<int:webhook_id>/{action}/": "405 (POST)"
        for action in ("delete", "test", "enable", "disable", "secret")
    },
    # The usual account addresses redirect to ours (base/redirects.py).
    **dict.fromkeys(ACCOUNT_ADDRESSES, "307 to our account page"),
    "accounts/profile/": "302 to your profile",
}
# Pages for visitors without a session (a logged-in user is sent on from them).
LOGGED_OUT = {
    "user/login/",
    "user/password_reset/",
    "user/password_reset/done/",
    "user/reset/<uidb64>/<token>/",
    "user/reset/done/",
    "accounts/register/",
    "accounts/register/complete/",
    "accounts/register/closed/",
    "accounts/activate/",
    "accounts/activate/complete/",
}


def routes():
    """Every route of the site's own pages (not the API, not Django's admin): its pattern."""

    def walk(resolver, prefix):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern)

    seen = []
    for route in walk(get_resolver(), ""):
        if route.startswith(("api/", "admin/")) or route in seen:
            continue
        seen.append(route)
    return seen


def fill(route, values):
    """The path of ``route`` with its parameters taken from ``values`` (by parameter name)."""
    path = route
    while "<" in path:
        start = path.index("<")
        end = path.index(">", start)
        name = path[start + 1 : end].split(":")[-1]
        path = path[:start] + str(values[name]) + path[end + 1 :]
    return "/" + path


def build_wide_world():
    """The demo data plus everything that makes pages wide (see the module's docstring); the test module's
    fixture calls it (with the ``storage_dir`` fixture, for the images)."""
    call_command("loaddemo", verbosity=0)
    admin = User.objects.get(username="demo-admin")
    team = Team.objects.get(name="Demo")
    team.name = LONG_TEAM
    team.full_clean()  # within every field's limit, as PostgreSQL insists
    team.save(update_fields=["name"])
    colleague = User.objects.create_user(LONG_USER, f"{LONG_USER}@example.com", "pw-long-user-1")
    user_services.add_member(actor=admin, team=team, username=colleague.username)
    image_set = create_imageset(actor=admin, team=team, name=LONG_SET, description="Night drive " * 40)
    for index in range(60):
        name = f"highway_a7_northbound_camera07_left_rectified_frame_{index:06d}_exposure_bracket_2.png"
        picture = io.BytesIO(png_bytes(64 + index, 48, index))  # sizes differ: no duplicates
        result = add_image_file(image_set, name=name, fileobj=picture, uploader=admin)
        assert result.status == "added", result
    long_type = type_services.create_type(
        actor=admin,
        team=team,
        name=LONG_TYPE,
        vector_type=VectorType.BOUNDING_BOX,
        attributes=[
            {"name": "occlusion_level_estimated_by_annotator", "kind": "select", "values": ["none", "partial"]},
            {"name": "free_text_comment_without_spaces", "kind": "text", "max_length": 200},
        ],
    )
    site_type = type_services.create_type(actor=admin, name="traffic_light_arrow", vector_type=VectorType.POLYGON)
    image = image_set.images.order_by("name").first()
    label, _ = annotation_services.create_annotation(
        actor=colleague,
        image=image,
        annotation_type=long_type,
        vector={"x1": 5, "y1": 5, "x2": 40, "y2": 30},
        attributes={
            "occlusion_level_estimated_by_annotator": "partial",
            "free_text_comment_without_spaces": "x" * 120,
        },
    )
    annotation_services.update_annotation(
        actor=admin, annotation=label, expected_version=label.version, vector={"x1": 6, "y1": 5, "x2": 41, "y2": 30}
    )
    export_format = ExportFormat.objects.create(
        name="Highway-perception-training-format-with-attributes-v2",
        team=team,
        annotation_format="%%imagename|%%type|%%vector|%%attributes",
    )
    export_format.annotation_types.add(long_type)
    export = export_jobs.create_export(actor=admin, image_set=image_set, export_format=export_format)
    label_import = import_services.import_labels(
        actor=admin,
        image_set=image_set,
        fileobj=io.BytesIO(f'{image.name}|{LONG_TYPE}|{{"x1": 50, "y1": 1, "x2": 60, "y2": 9}}\n'.encode()),
        format="pipe",
        filename="labels_from_the_night_shift_exported_by_our_previous_annotation_tool.txt",
    )
    now = timezone.now()
    message = message_services.send_team_message(
        sender=admin,
        team=team,
        title="Please-relabel-every-pedestrian_pushing_stroller_or_wheelchair-before-Friday",
        content="https://example.com/" + "a" * 150,
        start_time=now - timedelta(hours=1),
        expire_time=now + timedelta(days=3),
    )
    tool = tool_services.create_tool(
        actor=admin,
        upload=SimpleUploadedFile("convert_imagetagger_export_to_our_training_pipeline_format.py", b"print(1)\n"),
        name="Converter-for-the-training-pipeline-with-a-long-name",
        description="Converts " * 60,
        team=team,
    )
    token, _ = user_services.create_api_token(user=admin, name="nightly-training-pipeline-token-for-the-cluster")
    backend = assist_services.register_backend(
        actor=admin,
        team=team,
        name="GroundingDINO-swin-large-on-the-gpu-node-with-a-long-name",
        url="http://grounding-dino.models.svc.cluster.local:9090/a/very/long/path/to/the/backend",
        label_map={"pedestrian_pushing_stroller_or_wheelchair": long_type.pk},
        auth_header="Bearer " + "x" * 40,
    )
    webhook = webhook_services.register(
        actor=admin,
        team=team,
        url="https://hooks.example.org/services/T0123456789/B0123456789/a-long-token-" + "x" * 60,
        events=["annotation.created", "annotation.updated", "export.finished", "prelabel_job.finished"],
        description="The training pipeline's trigger on the GPU cluster, with a long description",
    )
    webhook_services.send_test(actor=admin, webhook=webhook)  # a pending delivery with its body in the log
    return {
        "admin": admin,
        "values": {
            "team_id": team.pk,
            "user_id": colleague.pk,
            "type_id": long_type.pk,
            "set_id": image_set.pk,
            "imageset_id": image_set.pk,
            "image_id": image.pk,
            "annotation_id": label.pk,
            "annotation_uuid": label.uuid,
            "export_id": export.pk,
            "format_id": export_format.pk,
            "tool_id": tool.pk,
            "message_id": message.pk,
            "import_id": label_import.pk,
            "token_id": token.pk,
            "backend_id": backend.pk,
            "webhook_id": webhook.pk,
            "job_id": assist_services.start_prelabel(actor=admin, backend=backend, image_set=image_set)[0].pk,
            "uidb64": urlsafe_base64_encode(force_bytes(admin.pk)),
            "token": default_token_generator.make_token(admin),
        },
        # Values for single routes: the own account's deletion; the staff pages of a site type.
        "own": {
            "users/user/<int:user_id>/delete/": {"user_id": admin.pk},
            "administration/annotation_type/<int:type_id>/": {"type_id": site_type.pk},
            "administration/annotation_type/delete/<int:type_id>/": {"type_id": site_type.pk},
        },
        "labels": Annotation.objects.count(),
    }


def site_pages(world):
    """The pages the team admin of ``world`` (``build_wide_world``) can open: ([(route, path), …], problems),
    where problems name routes that break the NOT_PAGES list (asked with Django's test client: a browser
    shows no answer for a 405)."""
    everything = routes()
    problems = []
    assert len(everything) > 80, "the walk found the site's routes"
    unknown = (set(NOT_PAGES) | LOGGED_OUT) - set(everything)
    assert not unknown, f"listed routes that do not exist (any more): {sorted(unknown)}"
    client = Client()
    client.force_login(world["admin"])
    pages = []
    for route in everything:
        if route in LOGGED_OUT:
            continue
        path = fill(route, {**world["values"], **world["own"].get(route, {})})
        response = client.get(path)
        is_page = response.status_code == 200 and "text/html" in response.get("Content-Type", "")
        if route in NOT_PAGES:
            if is_page:
                problems.append(f"{route} is listed as {NOT_PAGES[route]!r} but is a page now")
        elif is_page:
            pages.append((route, path))
        else:
            problems.append(f"{route}: {response.status_code} (not a page for the team admin)")
    return pages, problems


def logged_out_pages(world):
    """The pages for visitors without a session: [(route, path), …]."""
    return [(route, fill(route, world["values"])) for route in sorted(LOGGED_OUT)]
