"""The annotate page in headless Chromium: switching images, frame times with many shapes, saving.

    .venv/bin/python bench/bench_annotate.py [--polygons 5000] [--switches 20] [--saves 20] [--repo DIR ...]

``--repo DIR`` (repeatable) serves the page from another checkout too (e.g. a ``git worktree`` of an
older commit with the same migrations), so that two versions are measured in one run on the same data
and browser, alternating: every figure is printed per checkout.

Sets up a throw-away database and data folder (bench/_setup.py) with a set of 30 images of
2000 × 1500 and one image of 20 megapixels (5472 × 3648) carrying ``--polygons`` polygons, serves
it with ``manage.py runserver --insecure`` and drives Debian's Chromium (IT_CHROMIUM) with Playwright.
Prints, with the baseline measured in the same run:

- switching to the next image (key ``d``) until it is drawn with its annotations: preloaded (the
  page fetched and decoded it ahead) against cold (its caches emptied first); goal p95 < 16 ms;
- the time of one frame while panning and zooming a 20-megapixel image with all its polygons drawn
  and filled (every type visible), against the same frames on a 20-megapixel image without labels;
  goal: median < 8 ms. Each frame is timed until painted (a one-pixel read-back waits for the
  rasterizer). While a gesture lasts, frames copy the shapes rendered before (draw.ShapeLayer); the
  frame after it renders them anew, printed as well;
- from pressing ``v`` to "All changes saved" on the page, against the bare API request (fetch) the
  save makes. The labels a round saved are deleted after it, so that every round and checkout saves
  onto the same image with the same labels (they piled up before, and later rounds saved slower).
- key to drawn means the canvas is drawn with the image and its labels; the image list beside it
  follows in the next frame.

Every wait has a timeout (``--timeout``, seconds): a wait that times out is reported with what it was
waiting for and its round is left out, instead of the run hanging. (The earlier version hung for two
reasons: the server's log went to a pipe nobody read, so after some thousand requests the server
stopped answering; and a "d" sent before the page knew its place in the image list did nothing while
the page waited forever for the next image.)
"""

import argparse
import io
import itertools
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _setup  # sets up the environment before Django is imported

CHROMIUM = os.environ.get("IT_CHROMIUM", "/usr/bin/chromium")


def jpeg(width, height, seed):
    from PIL import Image as PILImage
    from PIL import ImageDraw

    image = PILImage.new("RGB", (width, height), (seed * 37 % 255, 120, 160))
    draw = ImageDraw.Draw(image)
    rng = random.Random(seed)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        draw.ellipse((x, y, x + width // 10, y + height // 10), fill=(rng.randrange(255), rng.randrange(255), 90))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def make_world(polygon_count):
    from annotations.models import Annotation, AnnotationType, VectorType
    from images.ingest import add_image_file
    from images.models import Image, ImageSet
    from users.models import Team, TeamMembership, User

    user = User.objects.create_user("bench", password="bench-Password-1")
    team = Team.objects.create(name="bench")
    TeamMembership.objects.create(team=team, user=user, is_admin=True)
    image_set = ImageSet.objects.create(name="annotate bench", team=team, creator=user)
    image_set.path = f"{team.pk}_{image_set.pk}"
    image_set.save(update_fields=["path"])
    for number in range(30):
        data = jpeg(2000, 1500, number)
        result = add_image_file(image_set, name=f"img{number:03d}.jpg", fileobj=io.BytesIO(data), uploader=user)
        assert result.status == "added", result
    big_set = ImageSet.objects.create(name="big image", team=team, creator=user)
    big_set.path = f"{team.pk}_{big_set.pk}"
    big_set.save(update_fields=["path"])
    result = add_image_file(big_set, name="big.jpg", fileobj=io.BytesIO(jpeg(5472, 3648, 99)), uploader=user)
    assert result.status == "added", result
    big = Image.objects.get(pk=result.image_id)
    result = add_image_file(big_set, name="empty.jpg", fileobj=io.BytesIO(jpeg(5472, 3648, 98)), uploader=user)
    assert result.status == "added", result
    empty = Image.objects.get(pk=result.image_id)
    box = AnnotationType.objects.create(name="box", vector_type=VectorType.BOUNDING_BOX)
    polygon = AnnotationType.objects.create(name="polygon", vector_type=VectorType.POLYGON)
    hexagon = AnnotationType.objects.create(name="hexagon", vector_type=VectorType.POLYGON)
    rng = random.Random(7)
    rows = []
    for _ in range(polygon_count):
        cx, cy = rng.randrange(100, big.width - 100), rng.randrange(100, big.height - 100)
        points = []
        for corner in range(6):
            angle = corner / 6 * 6.283
            radius = rng.randrange(20, 90)
            points += [round(cx + radius * math.cos(angle)), round(cy + radius * math.sin(angle))]
        vector = {}
        for index in range(6):
            vector[f"x{index + 1}"] = points[2 * index]
            vector[f"y{index + 1}"] = points[2 * index + 1]
        # two types, so that "all types visible" means more than one colour
        kind = polygon if len(rows) % 2 else hexagon
        rows.append(Annotation(image=big, annotation_type=kind, vector=vector, user=user))
    Annotation.objects.bulk_create(rows, batch_size=1000)
    images = list(Image.objects.filter(image_set=image_set).order_by("name"))
    return user, images, big, empty, box, polygon


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port, repo):
    env = {
        **os.environ,
        "DJANGO_CONFIGURATION": "Dev",
        "IT_DEBUG": "false",
        "IT_STATIC_ROOT": str(_setup.WORKDIR / f"static-{port}"),
    }
    # Without DEBUG, WhiteNoise serves the collected files only.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=repo / "imagetagger",
        env=env,
        check=True,
        timeout=300,
    )
    # The server logs every request: to a file, never to a pipe nobody reads. (A full pipe stopped the
    # server mid-run after some thousand requests: the cause of the earlier version's hangs.)
    log = _setup.WORKDIR / f"server-{port}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", "--insecure", f"127.0.0.1:{port}"],
            cwd=repo / "imagetagger",
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return _setup.wait_until_healthy(process, port, log=log)


def session_cookie(user, url):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": url,
    }


# Every promise the page awaits races against this: it rejects with what it waited for.
WITHIN = """const within = (promise, ms, what) => Promise.race([promise, new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms))]);"""

SWITCH = """async ({cold, ms}) => {
  WITHIN_PLACEHOLDER
  const page = window.annotatePage;
  if (cold) page.dropCaches();
  const before = document.body.dataset.annotateImage;
  let observer;
  const drawn = within(new Promise((resolve) => {
    observer = new MutationObserver(() => {
      if (document.body.dataset.annotateImage !== before) { observer.disconnect(); resolve(); }
    });
    observer.observe(document.body, {attributes: true, attributeFilter: ["data-annotate-image"]});
  }), ms, `next image after the key d (${cold ? "cold" : "preloaded"}, from image ${before})`)
    .finally(() => observer.disconnect());
  const started = performance.now();
  document.dispatchEvent(new KeyboardEvent("keydown", {key: "d", bubbles: true}));
  await drawn;
  return performance.now() - started;
}"""

FRAMES = """({frames}) => {
  const page = window.annotatePage;
  const start = page.view;
  const context = document.getElementById("annotate-canvas").getContext("2d");
  const times = [];
  for (let frame = 0; frame < frames; frame += 1) {
    const phase = frame % 40;
    const view = {...page.view};
    if (phase < 20) { view.x += 7; view.y -= 4; }
    else { const factor = phase < 30 ? 1.03 : 1 / 1.03; view.scale *= factor; }
    const started = performance.now();
    page.setView(view);
    context.getImageData(0, 0, 1, 1); // waits until the frame is really painted
    times.push(performance.now() - started);
  }
  page.setView(start);
  return times;
}"""

SETTLED = """({frames}) => {
  const page = window.annotatePage;
  const context = document.getElementById("annotate-canvas").getContext("2d");
  const times = [];
  for (let frame = 0; frame < frames; frame += 1) {
    const view = {...page.view};
    view.scale *= frame % 2 ? 1.05 : 1 / 1.05;
    page.setView(view);
    const started = performance.now();
    page.drawSettled();
    context.getImageData(0, 0, 1, 1);
    times.push(performance.now() - started);
  }
  return times;
}"""

SAVE = """async ({ms}) => {
  WITHIN_PLACEHOLDER
  const status = document.getElementById("save-status");
  let observer;
  const done = within(new Promise((resolve) => {
    let left = false;
    observer = new MutationObserver((records) => {
      // saved -> saving -> saved may arrive as one batch of records
      if (records.some((record) => record.oldValue === "saved")) left = true;
      if (left && status.dataset.state === "saved") { observer.disconnect(); resolve(); }
    });
    observer.observe(status, {attributes: true, attributeFilter: ["data-state"], attributeOldValue: true});
  }), ms, '"All changes saved" after the key v').finally(() => observer.disconnect());
  const started = performance.now();
  document.dispatchEvent(new KeyboardEvent("keydown", {key: "v", bubbles: true}));
  await done;
  return performance.now() - started;
}"""

BARE_SAVE = """async ({image, type, n, ms}) => {
  const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
  const x = 10 + (n % 90) * 20, y = 900 + Math.floor(n / 90) * 60;
  const started = performance.now();
  const response = await fetch("/api/v1/annotations/", {
    method: "POST", credentials: "same-origin", signal: AbortSignal.timeout(ms),
    headers: {"Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token},
    body: JSON.stringify({image, annotation_type: type, vector: {x1: x, y1: y, x2: x + 15, y2: y + 50},
                          uuid: crypto.randomUUID()}),
  });
  await response.json();
  if (!response.ok) throw new Error(`the bare save answered ${response.status}`);
  return performance.now() - started;
}"""

SWITCH = SWITCH.replace("WITHIN_PLACEHOLDER", WITHIN)
SAVE = SAVE.replace("WITHIN_PLACEHOLDER", WITHIN)


def progress(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def summary(values):
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


def measure(page, args, images, big, empty, box, polygon, saved_so_far):
    """One round of every measurement on ``page``; a dict of lists of milliseconds."""
    ms = args.timeout * 1000

    def open_image(image):
        """Open the image and wait until the page knows its place in the list: before that, "d" has no
        next image to go to (the cause of the earlier version's hangs)."""
        page.goto(f"/annotations/{image.pk}/")
        page.wait_for_function(
            f"() => document.body.dataset.annotateImage === '{image.pk}'"
            " && /^Image \\d+ of/.test(document.getElementById('image-list-count').textContent)"
        )

    def wait_preloaded(count=5):
        page.wait_for_function(f"() => window.annotatePage.decodedImages().length >= {count}", polling=20)

    out = {"warm": [], "cold": [], "with": [], "without": [], "settled": [], "save": [], "bare": []}
    open_image(images[0])
    for number in range(args.switches):
        wait_preloaded(min(6, len(images) - number))
        page.wait_for_timeout(100)
        out["warm"].append(page.evaluate(SWITCH, {"cold": False, "ms": ms}))
    open_image(images[0])
    for _ in range(min(args.switches, 8)):
        out["cold"].append(page.evaluate(SWITCH, {"cold": True, "ms": ms}))

    open_image(big)
    page.wait_for_timeout(300)
    out["shapes"] = page.evaluate("() => window.annotatePage.state.shapes.length")
    out["with"] = page.evaluate(FRAMES, {"frames": args.frames})
    out["settled"] = page.evaluate(SETTLED, {"frames": 10})
    open_image(empty)
    page.wait_for_timeout(300)
    out["without"] = page.evaluate(FRAMES, {"frames": args.frames})

    open_image(images[1])
    page.select_option("#annotation-type", str(box.pk))
    page.locator("#annotate-canvas").focus()
    for _ in range(args.saves):
        n = next(saved_so_far)
        x, y = 10 + (n % 90) * 20, 10 + (n // 90) * 60
        page.evaluate("([x, y]) => window.annotatePage.editor.place([{x, y}, {x: x + 15, y: y + 30}])", [x, y])
        out["save"].append(page.evaluate(SAVE, {"ms": ms}))
        out["bare"].append(page.evaluate(BARE_SAVE, {"image": images[1].pk, "type": box.pk, "n": n, "ms": ms}))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--polygons", type=int, default=5000)
    parser.add_argument("--switches", type=int, default=20)
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2, help="rounds per checkout, alternating")
    parser.add_argument("--timeout", type=float, default=60, help="seconds any one wait may take")
    parser.add_argument("--repo", action="append", default=[], type=Path, help="another checkout to measure too")
    args = parser.parse_args()
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        raise SystemExit(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set IT_CHROMIUM)")
    repos = [_setup.REPO, *(repo.resolve() for repo in args.repo)]

    progress("creating the images and polygons")
    _setup.setup_django()
    user, images, big, empty, box, polygon = make_world(args.polygons)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from annotations.models import Annotation

    servers, results, failures = {}, {repo: {} for repo in repos}, []
    saved_so_far = itertools.count()
    try:
        for repo in repos:
            progress(f"starting the server of {repo}")
            port = free_port()
            servers[repo] = (f"http://127.0.0.1:{port}", start_server(port, repo))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            for round_number in range(args.rounds):
                order = repos if round_number % 2 == 0 else list(reversed(repos))
                for repo in order:
                    progress(f"round {round_number + 1}: {repo}")
                    url = servers[repo][0]
                    context = browser.new_context(base_url=url, viewport={"width": 1600, "height": 1000})
                    context.set_default_timeout(args.timeout * 1000)
                    context.add_cookies([session_cookie(user, url)])
                    page = context.new_page()
                    page.on("pageerror", lambda error: print(f"  page error: {error}"))
                    page.on("console", lambda message: message.type == "error" and print(f"  console: {message.text}"))
                    last_before = Annotation.objects.order_by("-id").values_list("id", flat=True).first() or 0
                    try:
                        found = measure(page, args, images, big, empty, box, polygon, saved_so_far)
                    except PlaywrightError as error:  # a wait that timed out: said, and the round left out
                        failures.append(f"round {round_number + 1} of {repo}: {str(error).splitlines()[0]}")
                        progress(f"  failed: {failures[-1]}")
                        context.close()
                        continue
                    finally:  # every round saves onto the same labels
                        Annotation.objects.filter(id__gt=last_before).delete()
                    for key, values in found.items():
                        if isinstance(values, list):
                            results[repo].setdefault(key, []).extend(values)
                        else:
                            results[repo][key] = values
                    context.close()
            browser.close()
    finally:
        for _url, server in servers.values():
            server.terminate()
            server.wait(timeout=30)

    print(f"annotate page in headless Chromium ({CHROMIUM}), runserver + SQLite, on {_setup.machine()}")
    if failures:
        print(f"  {len(failures)} round(s) failed and are left out:")
    print(f"  {args.rounds} round(s) per checkout, alternating; medians and p95 over all rounds")
    for failure in failures:
        print(f"  FAILED (left out): {failure}")
    for repo, found in results.items():
        if not found:
            print(f"- {repo}: no round completed")
            continue
        commit = subprocess.run(
            ["git", "-C", str(repo), "log", "-1", "--format=%h %s"], capture_output=True, text=True, timeout=30
        ).stdout.strip()[:70]
        print(f"- {repo} ({commit})")
        (w50, w95), (c50, c95) = summary(found["warm"]), summary(found["cold"])
        print(
            f"  switch to the next image (2000 x 1500), key to drawn: preloaded median {w50:.1f} ms, p95 {w95:.1f} ms"
            f" (goal p95 < 16 ms); cold median {c50:.1f} ms, p95 {c95:.1f} ms; ratio preloaded/cold {w50 / c50:.2f}"
        )
        (f50, f95), (b50, _b95) = summary(found["with"]), summary(found["without"])
        print(
            f"  pan/zoom frame, 20 MP image with {found['shapes']} polygons of 2 types drawn and filled: median"
            f" {f50:.2f} ms, p95 {f95:.2f} ms (goal median < 8 ms); the same frames on a 20 MP image without"
            f" labels: median {b50:.2f} ms; ratio {f50 / max(b50, 0.01):.2f}"
        )
        print(
            f"  the frame after a gesture (shapes rendered anew): median {statistics.median(found['settled']):.1f} ms"
        )
        (s50, s95), (r50, _r95) = summary(found["save"]), summary(found["bare"])
        print(
            f'  v to "All changes saved": median {s50:.1f} ms, p95 {s95:.1f} ms; bare API request median {r50:.1f} ms;'
            f" ratio {s50 / r50:.2f}"
        )


if __name__ == "__main__":
    main()
