"""Our Rasa components. Rasa imports this package whenever it loads our model (``rasa run``,
``rasa test``, ``rasa shell``, any deployment), so our changes to Rasa's code (listed, with why,
in rasa_patches.py) land in every Rasa process without a launcher of our own."""

from addons import rasa_patches

rasa_patches.install()
