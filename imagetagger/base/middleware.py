from django.conf import settings

from . import health

# Probe path -> its view (base/health.py).
HEALTH_PATHS = {"/healthz": health.healthz, "/readyz": health.readyz}


class HealthCheckMiddleware:
    """Answer health probes before anything looks at the Host header.

    Kubernetes and Docker probe the pod's own address, which is not in ALLOWED_HOSTS, and they
    speak plain HTTP, which SECURE_SSL_REDIRECT would redirect.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = HEALTH_PATHS.get(request.path)
        if probe is not None:
            return probe(request)
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Send ``Permissions-Policy`` (settings.PERMISSIONS_POLICY: feature -> allowed origins) on every answer.

    The site uses none of the browser's powerful features except full screen (the annotate page), so they
    are switched off for it and for anything it might embed.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        policy = getattr(settings, "PERMISSIONS_POLICY", {})
        self.header = ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in policy.items())

    def __call__(self, request):
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response
