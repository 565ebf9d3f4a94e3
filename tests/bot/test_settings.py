from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError


def test_defaults_are_local_and_telegram_is_off(tmp_path: Path):
    settings = Settings.from_env({"AIC_DATA_DIR": str(tmp_path)})
    assert settings.host == "127.0.0.1"
    assert settings.port == 8080
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.tracker_db == Path("var/tracker.db")
    assert not settings.telegram_enabled
    assert settings.telegram_api_url == "https://api.telegram.org/bot"
    assert settings.rate_limit_per_minute == 20


def test_the_generated_pseudonym_key_is_private_and_stable(tmp_path: Path):
    first = Settings.from_env({"AIC_DATA_DIR": str(tmp_path)})
    second = Settings.from_env({"AIC_DATA_DIR": str(tmp_path)})
    assert first.pseudonym_secret == second.pseudonym_secret
    assert len(first.pseudonym_secret) >= 32
    mode = stat.S_IMODE((tmp_path / "pseudonym.key").stat().st_mode)
    assert mode == 0o600


def test_a_configured_secret_wins_and_no_key_file_is_written(tmp_path: Path):
    settings = Settings.from_env(
        {"AIC_DATA_DIR": str(tmp_path), "AIC_PSEUDONYM_SECRET": "s3cret" * 6}
    )
    assert settings.pseudonym_secret == b"s3cret" * 6
    assert not (tmp_path / "pseudonym.key").exists()


def test_secrets_stay_out_of_repr(tmp_path: Path):
    settings = Settings.from_env(
        {
            "AIC_DATA_DIR": str(tmp_path),
            "AIC_PSEUDONYM_SECRET": "pseudo-secret" * 3,
            "AIC_TELEGRAM_TOKEN": "123:token-secret",
            "AIC_TELEGRAM_WEBHOOK_SECRET": "hook-secret" * 2,
            "AIC_RASA_TOKEN": "rasa-secret" * 2,
            "AIC_TELEGRAM_PROXY_URL": "http://user:proxy-secret@proxy:3128",
        }
    )
    text = repr(settings)
    for secret in ("pseudo-secret", "token-secret", "hook-secret", "rasa-secret", "proxy-secret"):
        assert secret not in text


def test_everything_can_be_set(tmp_path: Path):
    settings = Settings.from_env(
        {
            "AIC_DATA_DIR": str(tmp_path),
            "AIC_HOST": "0.0.0.0",
            "AIC_PORT": "9000",
            "AIC_RASA_URL": "http://rasa:5005/",
            "AIC_RASA_TIMEOUT": "2.5",
            "AIC_TRACKER_DB": "/data/tracker.db",
            "AIC_TELEGRAM_TOKEN": "123:abc",
            "AIC_TELEGRAM_MODE": "WEBHOOK",
            "AIC_TELEGRAM_WEBHOOK_URL": "https://example.org/telegram/webhook",
            "AIC_TELEGRAM_API_URL": "http://127.0.0.1:8081/bot",
            "AIC_RATE_LIMIT_PER_MINUTE": "5",
            "AIC_MAX_MESSAGE_CHARS": "300",
            "AIC_DOMAIN_PATH": "domain",
        }
    )
    assert (settings.host, settings.port, settings.rasa_url) == (
        "0.0.0.0",
        9000,
        "http://rasa:5005",
    )
    assert settings.rasa_timeout == 2.5
    assert settings.telegram_mode == "webhook"
    assert settings.telegram_enabled
    assert (settings.rate_limit_per_minute, settings.max_message_chars) == (5, 300)


def test_the_derived_webhook_secret_is_stable_and_telegram_safe(tmp_path: Path):
    env = {"AIC_DATA_DIR": str(tmp_path), "AIC_TELEGRAM_TOKEN": "123:abc"}
    secret = Settings.from_env(env).webhook_secret
    assert secret == Settings.from_env(env).webhook_secret
    assert secret.isalnum() and 1 <= len(secret) <= 256
    own = Settings.from_env({**env, "AIC_TELEGRAM_WEBHOOK_SECRET": "mine" * 4})
    assert own.webhook_secret == "mine" * 4


@pytest.mark.parametrize(
    "env",
    [
        {"AIC_TELEGRAM_MODE": "carrier-pigeon"},
        {"AIC_TELEGRAM_TOKEN": "1:a", "AIC_TELEGRAM_MODE": "webhook"},
        {"AIC_PORT": "eighty"},
        {"AIC_RATE_LIMIT_PER_MINUTE": "0"},
        {"AIC_RASA_TIMEOUT": "nan"},
        {"AIC_RASA_TIMEOUT": "inf"},
        {"AIC_RASA_URL": " , "},
        {"AIC_TELEGRAM_PROXY_URL": "socks5://proxy:1080"},
    ],
)
def test_unusable_settings_fail_loudly(tmp_path: Path, env):
    with pytest.raises(SettingsError):
        Settings.from_env({"AIC_DATA_DIR": str(tmp_path), **env})


def test_several_rasa_servers_are_a_comma_separated_list(tmp_path: Path):
    two = "http://127.0.0.1:5005/, http://127.0.0.1:5006"
    settings = Settings.from_env({"AIC_DATA_DIR": str(tmp_path), "AIC_RASA_URL": two})
    assert settings.rasa_urls == ("http://127.0.0.1:5005", "http://127.0.0.1:5006")
    one = Settings.from_env({"AIC_DATA_DIR": str(tmp_path)})
    assert one.rasa_urls == ("http://127.0.0.1:5005",)


def test_a_proxy_for_the_bot_api(tmp_path: Path):
    url = "http://proxy.force.police.uk:3128"
    settings = Settings.from_env({"AIC_DATA_DIR": str(tmp_path), "AIC_TELEGRAM_PROXY_URL": url})
    assert settings.telegram_proxy_url == url
    assert Settings.from_env({"AIC_DATA_DIR": str(tmp_path)}).telegram_proxy_url is None


@pytest.mark.parametrize(
    "url",
    [
        "ftp://u:hunter2@proxy",
        "https://u:hunter2@proxy:3128",
        "u:hunter2@proxy:3128",
        "http://u:hunter2@proxy:99999",
        "http://u:hunter2@proxy:port",
        "http://u:hunter2@:3128",
    ],
)
def test_a_bad_proxy_url_is_refused_without_repeating_it(tmp_path: Path, url):
    with pytest.raises(SettingsError) as error:
        Settings.from_env({"AIC_DATA_DIR": str(tmp_path), "AIC_TELEGRAM_PROXY_URL": url})
    assert "hunter2" not in str(error.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AIC_PSEUDONYM_SECRET", "change-me-64-hex-characters"),
        ("AIC_PSEUDONYM_SECRET", "0123456789abcdef"),
        ("AIC_RASA_TOKEN", "change-me-too"),
        ("AIC_RASA_TOKEN", "short"),
        ("AIC_TELEGRAM_WEBHOOK_SECRET", "your-webhook-secret-here-please"),
        ("AIC_TELEGRAM_WEBHOOK_SECRET", "xxxxxxxxxxxxxxxxxxxxxxxx"),
    ],
)
def test_a_placeholder_or_short_secret_stops_the_start(tmp_path, name, value):
    with pytest.raises(SettingsError, match=name) as raised:
        Settings.from_env({"AIC_DATA_DIR": str(tmp_path), name: value})
    assert "secrets.token_hex" in str(raised.value)


def test_real_secrets_are_taken(tmp_path):
    settings = Settings.from_env(
        {
            "AIC_DATA_DIR": str(tmp_path),
            "AIC_PSEUDONYM_SECRET": "9f" * 32,
            "AIC_RASA_TOKEN": "Zk3" * 8,
            "AIC_TELEGRAM_WEBHOOK_SECRET": "Q7a_" * 6,
        }
    )
    assert settings.rasa_token == "Zk3" * 8 and settings.pseudonym_secret == b"9f" * 32


def test_an_https_public_address_turns_the_secure_cookie_on(tmp_path: Path):
    env = {"AIC_DATA_DIR": str(tmp_path), "AIC_PUBLIC_URL": "https://Bot.Example.police.uk/"}
    settings = Settings.from_env(env)
    assert settings.public_origin == "https://bot.example.police.uk"
    assert settings.desk_cookie_secure
    assert not Settings.from_env({"AIC_DATA_DIR": str(tmp_path)}).desk_cookie_secure
    # Said outright, it wins.
    off = Settings.from_env({**env, "AIC_DESK_COOKIE_SECURE": "false"})
    assert not off.desk_cookie_secure


@pytest.mark.parametrize(
    "url", ["bot.example.police.uk", "https://*.police.uk", "https://bot.example/desk x", "ftp://a"]
)
def test_a_public_address_that_is_not_an_origin_stops_the_start(tmp_path, url):
    with pytest.raises(SettingsError, match="AIC_PUBLIC_URL"):
        Settings.from_env({"AIC_DATA_DIR": str(tmp_path), "AIC_PUBLIC_URL": url})


@pytest.mark.parametrize("name", ["AIC_REDIS_URL", "AIC_TRACKER_REDIS_URL"])
@pytest.mark.parametrize("password", ["change-me-redis-password", "short"])
def test_a_placeholder_or_short_redis_password_stops_the_start(tmp_path, name, password):
    url = f"redis://:{password}@redis:6379/2"
    with pytest.raises(SettingsError, match=name) as refused:
        Settings.from_env({"AIC_DATA_DIR": str(tmp_path), name: url})
    assert password not in str(refused.value)


def test_a_redis_address_with_a_real_password_or_none_is_taken(tmp_path):
    url = "redis://:3f9a0c1d7e5b2a4c8d6e1f0a@redis:6379/2"
    assert Settings.from_env({"AIC_DATA_DIR": str(tmp_path), "AIC_REDIS_URL": url}).redis_url == url
    plain = "redis://127.0.0.1:6379/2"
    assert Settings.from_env({"AIC_DATA_DIR": str(tmp_path), "AIC_REDIS_URL": plain}).redis_url
