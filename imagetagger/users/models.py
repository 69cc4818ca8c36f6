import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.core.validators import MinLengthValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

TEAM_NAME_MIN_LENGTH = 3
TEAM_NAME_MAX_LENGTH = 30


class User(AbstractUser):
    """A site user. ``points`` counts accepted votes that other users gave to this user's labels."""

    points = models.IntegerField(default=0)

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # "Alice" and "alice" would be indistinguishable in lists and autocompletes.
            models.UniqueConstraint(Lower("username"), name="users_user_username_ci_unique"),
        ]

    def get_absolute_url(self):
        return reverse("users:user", args=[self.pk])


def display_name(user):
    """How a (possibly deleted) user is shown next to the things they made."""
    return user.username if user is not None else "deleted user"


class TeamQuerySet(models.QuerySet):
    def of_user(self, user):
        return self.filter(memberships__user=user)


class Team(models.Model):
    name = models.CharField(
        max_length=TEAM_NAME_MAX_LENGTH,
        # max_length brings its own MaxLengthValidator; a second one would repeat its message.
        validators=[MinLengthValidator(TEAM_NAME_MIN_LENGTH)],
    )
    website = models.URLField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(User, through="TeamMembership", related_name="teams")

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name"), "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="users_team_name_ci_unique",
                violation_error_message="A team with this name already exists.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("users:team", args=[self.pk])


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="team_memberships")
    is_admin = models.BooleanField(default=False)
    joined = models.DateTimeField(auto_now_add=True)
    # Made by the single sign-on team claim (IT_OIDC_TEAM_CLAIM); only such memberships does a later
    # login without the team in the claim take away again.
    granted_by_sso = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="users_membership_unique"),
        ]

    def __str__(self):
        role = "admin" if self.is_admin else "member"
        return f"{self.user} in {self.team} ({role})"


class OidcIdentity(models.Model):
    """A user's account at the single sign-on provider: the provider (``issuer``) and its id of the
    person (``subject``, the ``sub`` claim), which never changes, unlike an e-mail address."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="oidc_identities")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created = models.DateTimeField(auto_now_add=True)
    last_login = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "single sign-on identity"
        verbose_name_plural = "single sign-on identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="users_oidcidentity_unique"),
        ]

    def __str__(self):
        return f"{self.user} as {self.subject} at {self.issuer}"


def hash_api_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def for_key(self, key):
        return self.filter(digest=hash_api_key(key))


class ApiToken(models.Model):
    """A key for scripts (``Authorization: Token <key>``). Only a hash of the key is stored:
    the key itself is shown once, when it is made."""

    PREFIX_LENGTH = 8

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=PREFIX_LENGTH)
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def generate_key():
        return secrets.token_urlsafe(32)
