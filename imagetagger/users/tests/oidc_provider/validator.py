"""The provider's claims: preferred_username, email, email_verified (false unless the test says
otherwise) and groups, overridden per username by the JSON file at ``$OIDC_PROVIDER_CLAIMS``
(``{"alice": {"email_verified": true, "groups": ["Robots"]}}``; a null value drops the claim),
read on every request so that a test can change them while the provider runs."""

import json
import os
from pathlib import Path

from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsValidator(OAuth2Validator):
    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "groups": "profile"}

    def get_additional_claims(self, request):
        user = request.user
        claims = {"preferred_username": user.username, "email": user.email, "email_verified": False}
        claims.update(json.loads(Path(os.environ["OIDC_PROVIDER_CLAIMS"]).read_text()).get(user.username, {}))
        return {name: value for name, value in claims.items() if value is not None}
