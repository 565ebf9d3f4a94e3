"""Our Rasa components. Rasa imports this package whenever it loads our model (``rasa run``,
``rasa test``, ``rasa shell``, any deployment), so the speed-ups land in every Rasa process
without a launcher of our own."""

from addons import action_client, applied_events, language, speedups

speedups.install()
applied_events.install()
action_client.install()
language.install()
