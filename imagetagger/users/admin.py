from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import ApiToken, OidcIdentity, Team, TeamMembership, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "points", "is_active", "is_staff", "date_joined"]
    fieldsets = [*DjangoUserAdmin.fieldsets, ("ImageTagger", {"fields": ["points"]})]


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    raw_id_fields = ["user"]
    extra = 0


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "created"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created", "last_used"]
    raw_id_fields = ["user"]
    readonly_fields = ["prefix", "digest"]


@admin.register(OidcIdentity)
class OidcIdentityAdmin(admin.ModelAdmin):
    """Deleting one unlinks the account: the next single sign-on of that person starts afresh."""

    list_display = ["user", "issuer", "subject", "created", "last_login"]
    search_fields = ["user__username", "subject"]
    raw_id_fields = ["user"]
    readonly_fields = ["issuer", "subject", "created", "last_login"]
