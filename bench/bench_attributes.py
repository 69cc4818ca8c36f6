"""Benchmark: what attribute values cost when a label is created through the API.

In process (Django's test client, token auth, no HTTP server), one client at a time: labels of a box
type without attributes against labels of a box type with five attributes (checkbox, two numbers with
bounds and a step, text, select) whose values are all sent and checked. The two variants alternate in
rounds; the figure is the median time per create of each variant and their ratio. A sanity check
refuses to report if the values were not stored.

    .venv/bin/python bench/bench_attributes.py [--rounds 9] [--per-round 200]

SQLite by default; PostgreSQL with IT_DB_HOST set (database IT_DB_NAME, default imagetagger_bench).
"""

import argparse
import json
import statistics
import time

import _setup

_setup.setup_django()

from django.test import Client  # noqa: E402

from annotations import types  # noqa: E402
from images.services import create_imageset  # noqa: E402
from users.models import User  # noqa: E402
from users.services import create_api_token, create_team  # noqa: E402

ATTRIBUTES = [
    {"name": "occluded", "kind": "checkbox"},
    {"name": "truncation", "kind": "number", "min": 0, "max": 1, "step": 0.05},
    {"name": "pose", "kind": "select", "values": ["front", "back", "left", "right"], "required": True},
    {"name": "colour", "kind": "text", "max_length": 40},
    {"name": "lane", "kind": "number", "min": 0, "max": 8},
]
VALUES = {"occluded": True, "truncation": 0.35, "pose": "left", "colour": "dark red", "lane": 3}


def make_world(images):
    owner = User.objects.create_user("bench-owner", password="x")
    team = create_team(creator=owner, name="bench team")
    image_set = create_imageset(actor=owner, team=team, name="bench set")
    image_ids = _setup.add_image_rows(image_set, images, lambda number: f"img{number:05d}.jpg")
    plain = types.create_type(actor=owner, team=team, name="plain box")
    rich = types.create_type(actor=owner, team=team, name="rich box", attributes=ATTRIBUTES)
    key = create_api_token(user=owner, name="bench")[1]
    return key, image_ids, plain, rich


def box(number):
    """Boxes that never come within 5 px of each other on one image (1280 × 960)."""
    x = 10 + (number % 20) * 60
    y = 10 + (number // 20) * 60
    return {"x1": x, "y1": y, "x2": x + 40, "y2": y + 40}


def create_round(client, image_ids, annotation_type, values, per_round, offset):
    """Seconds per create for ``per_round`` labels, each on its own image slot."""
    started = time.perf_counter()
    for number in range(per_round):
        slot = offset + number
        body = {"image": image_ids[slot % len(image_ids)], "annotation_type": annotation_type.pk, "vector": box(0)}
        if values is not None:
            body["attributes"] = values
        response = client.post("/api/v1/annotations/", json.dumps(body), content_type="application/json")
        if response.status_code != 201:
            raise SystemExit(f"create answered {response.status_code}: {response.content[:300]!r}")
        if values is not None and response.json().get("attributes") != values:
            raise SystemExit(f"the attribute values were not stored: {response.json().get('attributes')!r}")
    return (time.perf_counter() - started) / per_round


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--per-round", type=int, default=200)
    args = parser.parse_args()
    images = args.rounds * args.per_round * 2
    key, image_ids, plain, rich = make_world(images)
    client = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Token {key}")
    create_round(client, image_ids[-50:], plain, None, 20, 0)  # warm-up (connections, caches, imports)
    timings = {"plain": [], "attributes": []}
    offset = 0
    for round_number in range(args.rounds):
        order = [("plain", plain, None), ("attributes", rich, VALUES)]
        if round_number % 2:
            order.reverse()
        for label, annotation_type, values in order:
            timings[label].append(create_round(client, image_ids, annotation_type, values, args.per_round, offset))
            offset += args.per_round
    plain_ms = statistics.median(timings["plain"]) * 1000
    rich_ms = statistics.median(timings["attributes"]) * 1000
    from django.db import connection

    print(f"bench_attributes ({connection.vendor}; {_setup.machine()})")
    print(f"  {args.rounds} alternating rounds x {args.per_round} creates per variant, in process, token auth")
    print(f"  create without attributes: median {plain_ms:.2f} ms per label ({1000 / plain_ms:.0f}/s)")
    print(f"  create with 5 attributes:  median {rich_ms:.2f} ms per label ({1000 / rich_ms:.0f}/s)")
    print(f"  ratio with/without: {rich_ms / plain_ms:.3f}")


if __name__ == "__main__":
    main()
