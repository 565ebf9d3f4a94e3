"""bot/: the aiohttp front door between the people we help and Rasa (see ARCHITECTURE.md)."""
