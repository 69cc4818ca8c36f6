from .views import healthz

HEALTH_PATHS = {"/healthz"}


class HealthCheckMiddleware:
    """Answer health probes before anything looks at the Host header.

    Kubernetes and Docker probe the pod's own address, which is not in ALLOWED_HOSTS, and they
    speak plain HTTP, which SECURE_SSL_REDIRECT would redirect.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in HEALTH_PATHS:
            return healthz(request)
        return self.get_response(request)
