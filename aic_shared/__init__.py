"""What the front door (bot/) and the brain (Rasa, addons/, actions/) both need, and nothing else:
the rules for which language to answer in, and the reader of data/knowledge.yml. It depends on
pyyaml alone, so each part's environment installs it without the other's packages."""
