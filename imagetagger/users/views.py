from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_registration.backends.activation.views import RegistrationView

from annotations.work import user_statistics
from base.feedback import flash_errors
from base.ids import parse_id
from images import selectors as image_selectors
from images.models import SetTag

from . import activity, leaderboards, selectors, services
from .forms import AddMemberForm, ApiTokenForm, DeleteAccountForm, TeamCreateForm, UserRegistrationForm
from .models import Team, TeamMembership
from .permissions import team_permissions

User = get_user_model()

TEAM_SETS_PER_PAGE = 50


class UserRegistrationView(RegistrationView):
    form_class = UserRegistrationForm

    def registration_allowed(self):
        # Registering makes a password account, of no use while passwords are turned off.
        return super().registration_allowed() and settings.PASSWORD_LOGIN

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def create_team(request):
    form = TeamCreateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.create_team(creator=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Team {team.name} created. You are its admin.")
            return redirect(team)
    return render(request, "users/team_create.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_safe
def view_team(request, team_id):
    team = get_object_or_404(selectors.team_with_counts(), pk=team_id)
    members = list(selectors.team_members(team))
    my_membership = next((m for m in members if m.user_id == request.user.pk), None)
    permissions = team_permissions(request.user, team, membership=my_membership, has_admin=team.admin_count > 0)
    return render(
        request,
        "users/team.html",
        {
            "team": team,
            "members": members,
            "my_membership": my_membership,
            "permissions": permissions,
            "add_member_form": AddMemberForm(),
            "autocomplete_limit": settings.AUTOCOMPLETE_LIMIT,
            **_team_sets_context(request, team, is_member=my_membership is not None),
        },
    )


TEAM_SET_TABS = {"name": "A–Z", "date": "By date", "size": "By size", "test": "Test sets"}


def _team_sets_context(request, team, *, is_member):
    """The team's image sets (members see all, others the public ones), one page of one tab."""
    tab = request.GET.get("sets", "name")
    if tab not in TEAM_SET_TABS:
        tab = "name"
    sets = image_selectors.team_sets(
        team,
        include_private=is_member,
        order="name" if tab == "test" else tab,
        tag=SetTag.PERMANENT if tab == "test" else None,
    )
    page = Paginator(sets, TEAM_SETS_PER_PAGE).get_page(request.GET.get("sets_page"))
    return {"set_tabs": TEAM_SET_TABS, "set_tab": tab, "set_page": page, "sets": list(page.object_list)}


@login_required
@require_POST
def add_team_member(request, team_id):
    team = get_object_or_404(Team, pk=team_id)
    form = AddMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the username of the person to add.")
        return redirect(team)
    try:
        membership = services.add_member(actor=request.user, team=team, username=form.cleaned_data["username"])
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"{membership.user.username} is now a member of {team.name}.")
    return redirect(team)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def leave_team(request, team_id, user_id):
    """Leave a team yourself, or (admins) remove another member. GET asks for confirmation."""
    team = get_object_or_404(Team, pk=team_id)
    # Look the user up by primary key first: that lookup turns out-of-range ids into a 404.
    user = get_object_or_404(User, pk=user_id)
    membership = get_object_or_404(TeamMembership.objects.select_related("user"), team=team, user=user)
    leaving = membership.user_id == request.user.pk
    if not leaving and "user_management" not in team_permissions(request.user, team):
        raise PermissionDenied("Only team admins may remove other members.")
    if request.method in ("GET", "HEAD"):
        is_last = not team.memberships.exclude(pk=membership.pk).exists()
        return render(
            request,
            "users/team_leave.html",
            {"team": team, "membership": membership, "leaving": leaving, "is_last": is_last},
        )
    try:
        removal = services.remove_member(actor=request.user, team=team, user=membership.user)
    except ValidationError as error:
        flash_errors(request, error)
        return redirect(team)
    if removal.team_deleted:
        messages.success(request, f"You left {team.name}. It had no other members and has been dissolved.")
        return redirect("base:home")
    if leaving:
        messages.success(request, f"You left {team.name}.")
        return redirect("base:home")
    messages.success(request, f"{membership.user.username} was removed from {team.name}.")
    return redirect(team)


@login_required
@require_POST
def grant_team_admin(request, team_id, user_id):
    team = get_object_or_404(Team, pk=team_id)
    user = get_object_or_404(User, pk=user_id)
    try:
        services.grant_admin(actor=request.user, team=team, user=user)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"{user.username} is now an admin of {team.name}.")
    return redirect(team)


@login_required
@require_POST
def revoke_team_admin(request, team_id, user_id):
    team = get_object_or_404(Team, pk=team_id)
    user = get_object_or_404(User, pk=user_id)
    try:
        services.revoke_admin(actor=request.user, team=team, user=user)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, f"{user.username} is no longer an admin of {team.name}.")
    return redirect(team)


@login_required
@require_safe
def view_user(request, user_id):
    profile = get_object_or_404(User, pk=user_id, is_active=True)
    is_me = profile.pk == request.user.pk
    context = {
        "profile": profile,
        # Every team of the user: team pages and member lists are readable by every logged-in user
        # (users.permissions), so listing them here tells nothing new.
        "teams": selectors.teams_of(profile),
        "is_me": is_me,
        "statistics": user_statistics(profile, viewer=request.user),
        "recent_annotations": activity.recent_annotations(profile, viewer=request.user),
        "recent_votes": activity.recent_votes(profile, viewer=request.user),
        "sees_everything": is_me or request.user.is_staff,
    }
    if is_me:
        context["sso_identities"] = list(request.user.oidc_identities.all())
        context["sso_name"] = settings.OIDC_PROVIDER_NAME
        context["tokens"] = request.user.api_tokens.all()
        context["token_form"] = ApiTokenForm()
        context["new_token_key"] = request.session.pop("new_api_token_key", None)
    return render(request, "users/user.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_account(request, user_id):
    if user_id != request.user.pk:
        raise PermissionDenied("You can only delete your own account.")
    form = DeleteAccountForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        services.delete_account(user=user)
        messages.success(request, "Your account has been deleted.")
        return redirect("base:home")
    return render(request, "users/delete_account.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_POST
def create_api_token(request):
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        token, key = services.create_api_token(user=request.user, name=form.cleaned_data["name"])
        # Shown once, on the next page view; only its hash is stored.
        request.session["new_api_token_key"] = key
        messages.success(request, f"Token “{token.name}” created. Copy it now: it will not be shown again.")
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"Token name: {error}")
    return redirect(reverse("users:user", args=[request.user.pk]) + "#api-tokens")


@login_required
@require_POST
def revoke_api_token(request, token_id):
    try:
        services.revoke_api_token(user=request.user, token_id=token_id)
    except ValidationError as error:
        flash_errors(request, error)
    else:
        messages.success(request, "Token revoked. Scripts using it are refused from now on.")
    return redirect(reverse("users:user", args=[request.user.pk]) + "#api-tokens")


# --- explore and leaderboards -----------------------------------------------------------------------


def _explore(request, queryset_for, template):
    query = request.GET.get("query", "").strip()
    page = Paginator(queryset_for(query), selectors.EXPLORE_PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        template,
        {"query": query, "page": page, "results": list(page.object_list), "page_query": params.urlencode()},
    )


@login_required
@require_safe
def explore_team(request):
    return _explore(request, selectors.explore_teams, "users/explore_teams.html")


@login_required
@require_safe
def explore_user(request):
    return _explore(request, selectors.explore_users, "users/explore_users.html")


@login_required
@require_safe
def leaderboard(request):
    """``?period=all|30d`` and ``?team=<id>`` (default: the whole site). Any team may be asked for: team
    pages and their member points are readable by every logged-in user."""
    period = request.GET.get("period", leaderboards.ALL_TIME)
    if period not in leaderboards.PERIODS:
        period = leaderboards.ALL_TIME
    team = None
    team_id = request.GET.get("team", "")
    if team_id:
        if parse_id(team_id) is None:
            raise Http404("No such team.")
        team = get_object_or_404(Team, pk=parse_id(team_id))
    my_teams = list(selectors.teams_of(request.user))
    if team is not None and all(mine.pk != team.pk for mine in my_teams):
        my_teams.append(team)
    now = timezone.now()  # one moment for the board and the window it shows
    return render(
        request,
        "users/leaderboard.html",
        {
            "period": period,
            "periods": leaderboards.PERIODS,
            "period_label": leaderboards.PERIODS[period],
            "team": team,
            "scope_teams": my_teams,
            "board": leaderboards.leaderboard(period, team=team, now=now),
            "window_start": leaderboards.window_start(now),
            "board_size": leaderboards.BOARD_SIZE,
        },
    )
