"""Bench only (bench/bench_annotations_api.py): the bare-Django baseline, never a route of the site.

One view that does one ORM INSERT (a row of an existing table, ``AnnotationHistory``, in autocommit)
and answers a small JSON body, behind the site's own middleware and settings (``bare_settings``), so
that gunicorn serves it exactly as it serves the API. ``BENCH_BARE_IMAGE`` names the image the rows
point at.
"""

import os
import uuid

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from annotations.models import AnnotationHistory

IMAGE_ID = int(os.environ.get("BENCH_BARE_IMAGE", "1"))


@csrf_exempt
def insert(request):
    row = AnnotationHistory.objects.create(annotation_uuid=uuid.uuid4(), image_id=IMAGE_ID, action="create")
    return JsonResponse({"id": row.pk}, status=201)


def healthz(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("bare/insert/", insert),
    path("healthz", healthz),
]
