from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from images import api as images_api
from users import api as users_api
from users.views import UserRegistrationView

router = DefaultRouter()
router.register("teams", users_api.TeamViewSet, basename="team")
router.register("imagesets", images_api.ImageSetViewSet, basename="imageset")
router.register("images", images_api.ImageViewSet, basename="image")
router.register("tags", images_api.TagViewSet, basename="tag")

api_v1 = [
    path("users/me/", users_api.CurrentUserView.as_view(), name="current-user"),
    *router.urls,
]

urlpatterns = [
    path("", include("base.urls")),
    path("user/", include("django.contrib.auth.urls")),
    path("accounts/register/", UserRegistrationView.as_view(), name="django_registration_register"),
    path("accounts/", include("django_registration.backends.activation.urls")),
    path("users/", include("users.urls")),
    path("images/", include("images.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
