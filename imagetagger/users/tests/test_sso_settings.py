"""The IT_OIDC_* and IT_PASSWORD_LOGIN settings: Prod refuses an incomplete single sign-on
configuration, and the system checks report it in every configuration."""

import pytest
from django.core.checks import Error, Warning
from django.test import override_settings

from base.tests.test_settings import manage, production_environment
from users.checks import check_single_sign_on, check_single_sign_on_uses_https

COMPLETE = {
    "IT_OIDC_CLIENT_ID": "imagetagger",
    "IT_OIDC_CLIENT_SECRET": "a-secret",
    "IT_OIDC_ISSUER": "https://id.example.org/realms/lab",
}


def test_prod_refuses_single_sign_on_without_issuer_and_secret(tmp_path):
    result = manage("check", env=production_environment(tmp_path, IT_OIDC_CLIENT_ID="imagetagger"))

    assert result.returncode != 0
    assert "Single sign-on is configured incompletely" in result.stderr
    assert "IT_OIDC_ISSUER is not set" in result.stderr
    assert "IT_OIDC_CLIENT_SECRET is not set" in result.stderr
    assert "section 'Single sign-on'" in result.stderr


def test_prod_refuses_to_turn_passwords_off_without_single_sign_on(tmp_path):
    result = manage("check", env=production_environment(tmp_path, IT_PASSWORD_LOGIN="false"))

    assert result.returncode != 0
    assert "IT_PASSWORD_LOGIN is false but single sign-on is off" in result.stderr


def test_prod_refuses_a_scope_list_without_openid(tmp_path):
    result = manage("check", env=production_environment(tmp_path, **COMPLETE, IT_OIDC_SCOPES="email profile"))

    assert result.returncode != 0
    assert "IT_OIDC_SCOPES must include 'openid'" in result.stderr


def test_prod_with_complete_single_sign_on_passes_the_deploy_check(tmp_path):
    env = production_environment(tmp_path, **COMPLETE, IT_PASSWORD_LOGIN="false", IT_OIDC_TEAM_CLAIM="groups")

    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"OIDC_ISSUER": ""}, "IT_OIDC_ISSUER is not set"),
        ({"OIDC_CLIENT_SECRET": ""}, "IT_OIDC_CLIENT_SECRET is not set"),
        ({"OIDC_SCOPES": "email"}, "IT_OIDC_SCOPES must include 'openid'"),
        ({"OIDC_SIGN_ALGO": "none"}, "IT_OIDC_SIGN_ALGO 'none' is not supported"),
        ({"OIDC_TOKEN_ENDPOINT": "id.example.org/token"}, "IT_OIDC_TOKEN_ENDPOINT is not an http(s) URL"),
        ({"OIDC_CLIENT_ID": "", "PASSWORD_LOGIN": False}, "nobody could log in"),
    ],
)
def test_the_system_check_names_each_problem(overrides, problem):
    complete = {"OIDC_CLIENT_ID": "imagetagger", "OIDC_CLIENT_SECRET": "s", "OIDC_ISSUER": "https://id.example.org"}
    with override_settings(**{**complete, **overrides}):
        errors = check_single_sign_on(None)

    assert [(type(error), error.id) for error in errors] == [(Error, "users.E001")]
    assert problem in errors[0].msg
    assert "Single sign-on" in errors[0].hint


def test_the_system_check_is_quiet_when_single_sign_on_is_off_or_complete():
    assert check_single_sign_on(None) == []
    with override_settings(OIDC_CLIENT_ID="imagetagger", OIDC_CLIENT_SECRET="s", OIDC_ISSUER="https://id.example.org"):
        assert check_single_sign_on(None) == []
        assert check_single_sign_on_uses_https(None) == []


def test_the_deploy_check_warns_about_plain_http():
    with override_settings(OIDC_CLIENT_ID="imagetagger", OIDC_CLIENT_SECRET="s", OIDC_ISSUER="http://keycloak:8080"):
        warnings = check_single_sign_on_uses_https(None)

    assert [(type(warning), warning.id) for warning in warnings] == [(Warning, "users.W001")]
    assert "IT_OIDC_ISSUER" in warnings[0].msg
