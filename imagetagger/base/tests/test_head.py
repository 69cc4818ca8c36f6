"""Every page answers HEAD as it answers GET (curl -I, link checkers and uptime monitors ask HEAD):
pages allowed only GET refused HEAD with a 405. Walks every route of the site (e2e/walk.py)."""

import pytest
from django.test import Client
from e2e.walk import build_wide_world, logged_out_pages, site_pages


@pytest.fixture
def wide_world(storage_dir, db):
    return build_wide_world()


def test_every_page_answers_head_like_get(wide_world):
    pages, problems = site_pages(wide_world)
    assert not problems, problems
    assert len(pages) > 40
    client = Client()
    client.force_login(wide_world["admin"])
    visitor = Client()
    checked = [(client, path) for _route, path in pages] + [
        (visitor, path) for _route, path in logged_out_pages(wide_world)
    ]
    wrong = []
    for who, path in checked:
        head = who.head(path)
        if head.status_code != 200 or not head["Content-Type"].startswith("text/html"):
            wrong.append(f"{path}: {head.status_code} {head.get('Content-Type')}")
        elif "Content-Security-Policy" not in head:
            wrong.append(f"{path}: no Content-Security-Policy")
    assert not wrong, "\n".join(wrong)
