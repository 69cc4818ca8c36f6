from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("team/<int:team_id>/", views.team_webhooks, name="team_webhooks"),
    path("<int:webhook_id>/", views.webhook_page, name="webhook"),
    path("<int:webhook_id>/edit/", views.edit_webhook, name="edit_webhook"),
    path("<int:webhook_id>/delete/", views.delete_webhook, name="delete_webhook"),
    *(
        path(f"<int:webhook_id>/{action}/", views.act, {"action": action}, name=f"{action}_webhook")
        for action in views.ACTIONS
    ),
]
