import logging

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from annotations.statistics import home_statistics
from images import selectors as image_selectors
from users import selectors as user_selectors
from users.forms import TeamCreateForm, UserRegistrationForm
from users.services import SetupClosed, create_first_admin

logger = logging.getLogger(__name__)
User = get_user_model()


@require_safe
def home(request):
    if not request.user.is_authenticated:
        return render(request, "base/welcome.html", {"needs_setup": not User.objects.exists()})
    my_sets = list(image_selectors.my_team_sets(request.user)[: image_selectors.HOME_SETS_LIMIT + 1])
    return render(
        request,
        "base/home.html",
        {
            "teams": user_selectors.teams_of(request.user),
            "team_form": TeamCreateForm(),
            "pinned_sets": list(image_selectors.pinned_sets(request.user)),
            "my_sets": my_sets[: image_selectors.HOME_SETS_LIMIT],
            "more_sets": len(my_sets) > image_selectors.HOME_SETS_LIMIT,
            # Site-wide numbers and chart, cached (IT_STATISTICS_CACHE_SECONDS): constant queries.
            "stats": home_statistics(),
        },
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def first_admin(request):
    """One-time page that creates the first administrator while the site has no user at all."""
    if User.objects.exists():
        raise Http404("The first administrator exists already.")
    form = UserRegistrationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = create_first_admin(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except SetupClosed:
            raise Http404("The first administrator exists already.") from None
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! You are this site's administrator.")
        return redirect("base:home")
    return render(request, "base/first_admin.html", {"form": form}, status=400 if form.errors else 200)
