"""Our Rasa components. Rasa imports this package whenever it loads our model (``rasa run``,
``rasa test``, ``rasa shell``, any deployment), so the speed-up lands in every Rasa process
without a launcher of our own."""

from addons import speedups

speedups.install()
