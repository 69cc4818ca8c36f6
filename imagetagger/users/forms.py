from django import forms
from django.contrib.auth import get_user_model
from django_registration.forms import RegistrationFormUniqueEmail
from django_registration.validators import ReservedNameValidator

from .models import TEAM_NAME_MAX_LENGTH, TEAM_NAME_MIN_LENGTH, ApiToken


class CaseInsensitiveReservedNameValidator(ReservedNameValidator):
    """django-registration's reserved names (all lower case) in any case: "Admin" and "ROOT" too."""

    def __call__(self, value):
        if isinstance(value, str):
            super().__call__(value.casefold())


class UserRegistrationForm(RegistrationFormUniqueEmail):
    """django-registration's form: refuses reserved (in any case) and confusable usernames, usernames
    that differ from an existing one only by case, and e-mail addresses already in use."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields[get_user_model().USERNAME_FIELD]
        field.validators = [
            CaseInsensitiveReservedNameValidator(validator.reserved_names)
            if type(validator) is ReservedNameValidator
            else validator
            for validator in field.validators
        ]


class TeamCreateForm(forms.Form):
    name = forms.CharField(
        min_length=TEAM_NAME_MIN_LENGTH,
        max_length=TEAM_NAME_MAX_LENGTH,
        help_text=f"{TEAM_NAME_MIN_LENGTH} to {TEAM_NAME_MAX_LENGTH} characters, unique on this site.",
    )


class AddMemberForm(forms.Form):
    username = forms.CharField(max_length=150)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What uses this token, e.g. “training pipeline”.",
    )


class DeleteAccountForm(forms.Form):
    """Confirmed with the password; accounts without one (made by single sign-on) type their username."""

    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Enter your password to confirm.",
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        if not user.has_usable_password():
            del self.fields["password"]
            self.fields["username"] = forms.CharField(
                label="Your username", help_text=f"Type “{user.username}” to confirm."
            )

    def clean_username(self):
        username = self.cleaned_data["username"]
        if username != self.user.username:
            raise forms.ValidationError("This is not your username.")
        return username

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("This is not your password.")
        return password
