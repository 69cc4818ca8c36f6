"""Zip archives of image sets, built in the background by ``manage.py runzipdaemon``."""


def schedule_build(image_set_id):
    """Ask the background worker to (re)build the archive of a set. Called after commit."""
