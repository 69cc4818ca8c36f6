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
