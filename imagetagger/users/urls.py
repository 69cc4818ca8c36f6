from django.urls import path

from annotations import views_types

from . import views

app_name = "users"

urlpatterns = [
    path("team/explore/", views.explore_team, name="explore_team"),
    path("user/explore/", views.explore_user, name="explore_user"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("team/create/", views.create_team, name="create_team"),
    path("team/<int:team_id>/", views.view_team, name="team"),
    path("team/<int:team_id>/add/", views.add_team_member, name="add_team_member"),
    path("team/<int:team_id>/leave/<int:user_id>/", views.leave_team, name="leave_team"),
    path("team/<int:team_id>/grant_admin/<int:user_id>/", views.grant_team_admin, name="grant_team_admin"),
    path("team/<int:team_id>/revoke_admin/<int:user_id>/", views.revoke_team_admin, name="revoke_team_admin"),
    # The team's label types (annotations/views_types.py).
    path("team/<int:team_id>/types/", views_types.team_types, name="team_types_index"),
    path("team/<int:team_id>/types/create/", views_types.team_type_create, name="team_types_create"),
    path("team/<int:team_id>/types/<int:type_id>/", views_types.team_type_edit, name="team_types_edit"),
    path(
        "team/<int:team_id>/types/<int:type_id>/activate/", views_types.team_type_activate, name="team_types_activate"
    ),
    path(
        "team/<int:team_id>/types/<int:type_id>/deactivate/",
        views_types.team_type_deactivate,
        name="team_types_deactivate",
    ),
    path("team/<int:team_id>/types/<int:type_id>/delete/", views_types.team_type_delete, name="team_types_delete"),
    path("user/<int:user_id>/", views.view_user, name="user"),
    path("user/<int:user_id>/delete/", views.delete_account, name="delete_account"),
    path("tokens/create/", views.create_api_token, name="create_api_token"),
    path("tokens/<int:token_id>/revoke/", views.revoke_api_token, name="revoke_api_token"),
]
