"""Custom actions, one module per feature. rasa_sdk registers every Action subclass it imports."""

from actions import server_errors

server_errors.install()
