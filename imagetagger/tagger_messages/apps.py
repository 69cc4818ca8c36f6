from django.apps import AppConfig


class TaggerMessagesConfig(AppConfig):
    name = "tagger_messages"
    verbose_name = "Messages"
