"""The IT_WEBHOOK_* settings: production refuses private addresses unless allowed; values come from the environment."""

from base.tests.test_settings import environment, manage, production_environment

SHOW = (
    "from django.conf import settings; print('webhooks', settings.WEBHOOK_PRIVATE_ADDRESSES, settings.WEBHOOK_TIMEOUT)"
)


def shown(env):
    result = manage("shell", "-c", SHOW, env=env)
    assert result.returncode == 0, result.stderr
    return next(line for line in result.stdout.splitlines() if line.startswith("webhooks "))


def test_production_calls_public_addresses_only_unless_allowed(tmp_path):
    assert shown(production_environment(tmp_path)) == "webhooks False 10.0"
    allowed = production_environment(tmp_path, IT_WEBHOOK_PRIVATE_ADDRESSES="true", IT_WEBHOOK_TIMEOUT="2.5")
    assert shown(allowed) == "webhooks True 2.5"


def test_development_may_call_a_receiver_on_the_same_machine(tmp_path):
    assert shown(environment(tmp_path, DJANGO_CONFIGURATION="Dev")) == "webhooks True 10.0"
