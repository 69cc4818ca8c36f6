from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Webhooks: a team's receivers get signed POSTs of the events in the team's data, sent by the worker."""

    name = "webhooks"

    def ready(self):
        from base import background

        # The worker's sweeps (runzipdaemon): queue the sender for due deliveries (retries, lost tasks,
        # deliveries of a worker that died), and hourly forget old finished deliveries.
        background.register("webhook deliveries", "webhooks.delivery.sweep")
        background.register("webhook delivery log", "webhooks.delivery.prune", every=3600, first_after=60)
