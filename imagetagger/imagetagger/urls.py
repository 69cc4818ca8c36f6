from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from annotations import api as annotations_api
from annotations import api_types as annotation_types_api
from annotations import api_votes as annotation_votes_api
from annotations import api_work as annotation_work_api
from assist import api as assist_api
from exports import api as exports_api
from exports import api_imports as label_imports_api
from images import api as images_api
from tagger_messages import api as messages_api
from tools import api as tools_api
from users import api as users_api
from users.views import UserRegistrationView
from users.views_auth import admin_login
from webhooks import api as webhooks_api

router = DefaultRouter()
# Django tries the patterns in order: the busiest routes (labels, then images) first.
router.register("annotations", annotations_api.AnnotationViewSet, basename="annotation")
router.register("images", images_api.ImageViewSet, basename="image")
router.register("imagesets", images_api.ImageSetViewSet, basename="imageset")
router.register("teams", users_api.TeamViewSet, basename="team")
router.register("tags", images_api.TagViewSet, basename="tag")
router.register("annotation-types", annotation_types_api.AnnotationTypeViewSet, basename="annotation-type")
router.register("messages", messages_api.MessageViewSet, basename="message")
router.register("tools", tools_api.ToolViewSet, basename="tool")
router.register("model-backends", assist_api.ModelBackendViewSet, basename="model-backend")
router.register("prelabel-jobs", assist_api.PrelabelJobViewSet, basename="prelabel-job")
router.register("webhooks", webhooks_api.WebhookViewSet, basename="webhook")

api_v1 = [
    path("users/me/", users_api.CurrentUserView.as_view(), name="current-user"),
    path("leaderboard/", users_api.LeaderboardView.as_view(), name="leaderboard"),
    path("annotations/<int:pk>/vote/", annotation_votes_api.AnnotationVoteView.as_view(), name="annotation-vote"),
    path("images/<int:image_id>/shape-proposal/", assist_api.ShapeProposalView.as_view(), name="shape-proposal"),
    *annotation_work_api.urls,
    *exports_api.urls,
    *label_imports_api.urls,
    *router.urls,
]

urlpatterns = [
    # The API first: scripts call it far more often than people open pages, and nothing else lives
    # under /api/v1/ (resolving a label create tried 260 patterns before it; bench_annotations_api).
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("", include("base.urls")),
    # Django's account pages, our login page and single sign-on (users/urls_auth.py).
    path("user/", include("users.urls_auth")),
    path("accounts/register/", UserRegistrationView.as_view(), name="django_registration_register"),
    # /accounts/login/, /login/, … → ours (base/redirects.py); before django-registration's /accounts/.
    path("", include("base.redirects")),
    path("accounts/", include("django_registration.backends.activation.urls")),
    path("users/", include("users.urls")),
    path("images/", include("images.urls")),
    path("annotations/", include("annotations.urls")),
    path("administration/", include("administration.urls")),
    path("exports/", include("exports.urls")),
    path("tools/", include("tools.urls")),
    path("tagger_messages/", include("tagger_messages.urls")),
    path("assist/", include("assist.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("imports/", include("exports.urls_import")),
    # The admin's login follows IT_PASSWORD_LOGIN.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script from ?script: the Content-Security-Policy allows no inline script.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="base/api_docs.html"),
        name="api-docs",
    ),
]

# Under /api/ these answer JSON like the API views do; elsewhere Django's pages (base/templates/).
handler404 = "imagetagger.api.page_not_found"
handler500 = "imagetagger.api.server_error"
