"""The one place bot/ reads its configuration: environment variables prefixed ``AIC_``.

Every setting has a safe local default, so ``python -m bot`` runs with no secrets at all:
bound to 127.0.0.1, Rasa on localhost, Telegram off.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

TELEGRAM_API_URL = "https://api.telegram.org/bot"
TELEGRAM_MODES = ("polling", "webhook")
PSEUDONYM_KEY_FILE = "pseudonym.key"


class SettingsError(ValueError):
    """A setting is present but unusable; raised at start so a bad deployment fails loudly."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str | None = field(default=None, repr=False)
    rasa_timeout: float = 12.0
    data_dir: Path = Path("var")
    pseudonym_secret: bytes = field(default=b"", repr=False)
    tracker_db: Path = Path("var/tracker.db")
    domain_path: Path = Path("domain.yml")
    telegram_token: str | None = field(default=None, repr=False)
    telegram_mode: str = "polling"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_api_url: str = TELEGRAM_API_URL
    # An HTTP proxy on the way to the Bot API, for networks without a direct route out.
    telegram_proxy_url: str | None = field(default=None, repr=False)
    rate_limit_per_minute: int = 20
    max_message_chars: int = 1500
    log_level: str = "INFO"
    # The live hand-off to 101 contacts (bot/handoff/): how long cases are kept, how long a
    # person waits before getting a reference instead, each queue's opening hours, desk logins.
    handoff_retention_days: float = 7.0
    handoff_wait_minutes: float = 10.0
    # Cases waiting in one queue before the next person gets a reference and 101 at once.
    handoff_max_waiting: int = 30
    # Per client address, on the routes anyone can call: requests a minute, hand-off cases an hour.
    address_requests_per_minute: int = 120
    handoff_cases_per_address_per_hour: int = 3
    handoff_hours: str = ""
    handoff_timezone: str = "Europe/London"
    desk_session_minutes: float = 480.0
    desk_cookie_secure: bool = False
    # Where people and handlers reach the service (AIC_PUBLIC_URL): the desk's origin, and with
    # https the Secure cookie and HSTS. Unset: the address each request was made to.
    public_origin: str | None = None
    # The addresses of the reverse proxies whose X-Forwarded-For names the client (none: the
    # connection's own address is the client's).
    trusted_proxies: tuple[str, ...] = ()
    # The force sites (origins) whose pages may embed the widget's frame; none: any site.
    widget_origins: tuple[str, ...] = ()
    # Retention and scale-out (see PRIVACY.md and deploy/).
    retention_hours: float = 24.0
    purge_interval_minutes: float = 15.0
    redis_url: str | None = field(default=None, repr=False)
    tracker_redis_url: str | None = field(default=None, repr=False)
    # Anonymous daily statistics (bot/statistics/): how many days they are kept, and the force a
    # Telegram conversation counts under until the person names their area (a force id from
    # data/knowledge.yml, or "national").
    statistics_retention_days: int = 400
    telegram_force: str = "national"
    # Prometheus metrics (bot/metrics_server.py): on their own listener, never on the public
    # port; off unless AIC_METRICS_PORT is set. With a token, scrapes must send it as a Bearer.
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None
    metrics_token: str | None = field(default=None, repr=False)
    # Probed for the metrics' availability gauge (Rasa's own endpoints.yml names it for Rasa).
    action_server_url: str = "http://127.0.0.1:5055"

    @property
    def retention_seconds(self) -> float:
        return self.retention_hours * 3600

    @property
    def rasa_urls(self) -> tuple[str, ...]:
        """``AIC_RASA_URL`` may list several Rasa servers, comma-separated (bot/rasa_client.py)."""
        return tuple(url.strip().rstrip("/") for url in self.rasa_url.split(",") if url.strip())

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)

    @property
    def store_path(self) -> Path:
        return self.data_dir / "bot.db"

    @property
    def webhook_secret(self) -> str:
        """The secret Telegram echoes in ``X-Telegram-Bot-Api-Secret-Token``.

        When none is configured it is derived from the pseudonym secret and the token, so it is
        stable across restarts and replicas without one more secret to manage.
        """
        if self.telegram_webhook_secret:
            return self.telegram_webhook_secret
        message = f"telegram-webhook:{self.telegram_token or ''}".encode()
        return hmac.new(self.pseudonym_secret, message, hashlib.sha256).hexdigest()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(f"AIC_{name}", "").strip()
            return value or None

        data_dir = Path(get("DATA_DIR") or cls.data_dir)
        mode = (get("TELEGRAM_MODE") or cls.telegram_mode).lower()
        if mode not in TELEGRAM_MODES:
            raise SettingsError(f"AIC_TELEGRAM_MODE must be one of {TELEGRAM_MODES}")
        token = get("TELEGRAM_TOKEN")
        webhook_url = get("TELEGRAM_WEBHOOK_URL")
        if token and mode == "webhook" and not webhook_url:
            raise SettingsError("AIC_TELEGRAM_MODE=webhook needs AIC_TELEGRAM_WEBHOOK_URL")
        if not [url for url in (get("RASA_URL") or cls.rasa_url).split(",") if url.strip()]:
            raise SettingsError("AIC_RASA_URL must name at least one Rasa server")
        secret = _secret("AIC_PSEUDONYM_SECRET", get("PSEUDONYM_SECRET"), 32)
        public_origin = _public_origin(get("PUBLIC_URL"))
        return cls(
            host=get("HOST") or cls.host,
            port=_number(get("PORT"), cls.port, int, "AIC_PORT"),
            rasa_url=(get("RASA_URL") or cls.rasa_url).rstrip("/"),
            rasa_token=_secret("AIC_RASA_TOKEN", get("RASA_TOKEN"), 16),
            rasa_timeout=_number(get("RASA_TIMEOUT"), cls.rasa_timeout, float, "AIC_RASA_TIMEOUT"),
            data_dir=data_dir,
            pseudonym_secret=secret.encode() if secret else load_or_create_key(data_dir),
            tracker_db=Path(get("TRACKER_DB") or cls.tracker_db),
            domain_path=Path(get("DOMAIN_PATH") or cls.domain_path),
            telegram_token=token,
            telegram_mode=mode,
            telegram_webhook_url=webhook_url,
            telegram_webhook_secret=_secret(
                "AIC_TELEGRAM_WEBHOOK_SECRET", get("TELEGRAM_WEBHOOK_SECRET"), 16
            ),
            telegram_api_url=get("TELEGRAM_API_URL") or cls.telegram_api_url,
            telegram_proxy_url=_proxy_url(get("TELEGRAM_PROXY_URL")),
            rate_limit_per_minute=_number(
                get("RATE_LIMIT_PER_MINUTE"),
                cls.rate_limit_per_minute,
                int,
                "AIC_RATE_LIMIT_PER_MINUTE",
            ),
            max_message_chars=_number(
                get("MAX_MESSAGE_CHARS"), cls.max_message_chars, int, "AIC_MAX_MESSAGE_CHARS"
            ),
            log_level=(get("LOG_LEVEL") or cls.log_level).upper(),
            handoff_retention_days=_number(
                get("HANDOFF_RETENTION_DAYS"),
                cls.handoff_retention_days,
                float,
                "AIC_HANDOFF_RETENTION_DAYS",
            ),
            handoff_max_waiting=_number(
                get("HANDOFF_MAX_WAITING"),
                cls.handoff_max_waiting,
                int,
                "AIC_HANDOFF_MAX_WAITING",
            ),
            address_requests_per_minute=_number(
                get("ADDRESS_REQUESTS_PER_MINUTE"),
                cls.address_requests_per_minute,
                int,
                "AIC_ADDRESS_REQUESTS_PER_MINUTE",
            ),
            handoff_cases_per_address_per_hour=_number(
                get("HANDOFF_CASES_PER_ADDRESS"),
                cls.handoff_cases_per_address_per_hour,
                int,
                "AIC_HANDOFF_CASES_PER_ADDRESS",
            ),
            handoff_wait_minutes=_number(
                get("HANDOFF_WAIT_MINUTES"),
                cls.handoff_wait_minutes,
                float,
                "AIC_HANDOFF_WAIT_MINUTES",
            ),
            handoff_hours=get("HANDOFF_HOURS") or cls.handoff_hours,
            handoff_timezone=get("HANDOFF_TIMEZONE") or cls.handoff_timezone,
            desk_session_minutes=_number(
                get("DESK_SESSION_MINUTES"),
                cls.desk_session_minutes,
                float,
                "AIC_DESK_SESSION_MINUTES",
            ),
            public_origin=public_origin,
            # On behind HTTPS (an https AIC_PUBLIC_URL turns it on): the desk's session cookie
            # is never sent in clear.
            desk_cookie_secure=(
                get("DESK_COOKIE_SECURE")
                or str(bool(public_origin and public_origin.startswith("https:")))
            ).lower()
            in ("1", "true"),
            trusted_proxies=tuple(
                address.strip()
                for address in (get("TRUSTED_PROXIES") or "").split(",")
                if address.strip()
            ),
            widget_origins=_origins(get("WIDGET_ORIGINS")),
            retention_hours=_number(
                get("RETENTION_HOURS"), cls.retention_hours, float, "AIC_RETENTION_HOURS"
            ),
            purge_interval_minutes=_number(
                get("PURGE_INTERVAL_MINUTES"),
                cls.purge_interval_minutes,
                float,
                "AIC_PURGE_INTERVAL_MINUTES",
            ),
            redis_url=_redis_url("AIC_REDIS_URL", get("REDIS_URL")),
            # Set when Rasa keeps trackers in Redis (deploy/endpoints.redis.yml); otherwise
            # /forget and retention delete from the SQLite tracker store at AIC_TRACKER_DB.
            tracker_redis_url=_redis_url("AIC_TRACKER_REDIS_URL", get("TRACKER_REDIS_URL")),
            statistics_retention_days=_number(
                get("STATISTICS_RETENTION_DAYS"),
                cls.statistics_retention_days,
                int,
                "AIC_STATISTICS_RETENTION_DAYS",
            ),
            telegram_force=(get("TELEGRAM_FORCE") or cls.telegram_force).lower(),
            metrics_host=get("METRICS_HOST") or cls.metrics_host,
            metrics_port=_number(get("METRICS_PORT"), None, int, "AIC_METRICS_PORT"),
            metrics_token=_secret("AIC_METRICS_TOKEN", get("METRICS_TOKEN"), 16),
            action_server_url=(get("ACTION_SERVER_URL") or cls.action_server_url).rstrip("/"),
        )


def _number(raw: str | None, default, kind, name: str):
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number") from None
    if not math.isfinite(value):
        raise SettingsError(f"{name} must be a number")
    if value <= 0:
        raise SettingsError(f"{name} must be positive")
    return value


# An origin as a Content-Security-Policy source: scheme, host (optionally "*." for any
# subdomain) and port, nothing else, so a value can never add to the policy it is put in.
_ORIGIN = re.compile(r"https?://(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:[0-9]{1,5})?")


def _origins(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    origins = tuple(
        origin.strip().lower().rstrip("/") for origin in raw.split(",") if origin.strip()
    )
    for origin in origins:
        if not _ORIGIN.fullmatch(origin):
            raise SettingsError(
                "AIC_WIDGET_ORIGINS must be origins separated by commas, such as "
                f"https://www.gwent.police.uk or https://*.police.uk; not {origin!r}"
            )
    return origins


def _public_origin(raw: str | None) -> str | None:
    if raw is None:
        return None
    origin = raw.strip().lower().rstrip("/")
    if not _ORIGIN.fullmatch(origin) or "*" in origin:
        raise SettingsError(
            f"AIC_PUBLIC_URL must be the service's origin, such as https://bot.example.police.uk;"
            f" not {raw!r}"
        )
    return origin


def _redis_url(name: str, raw: str | None) -> str | None:
    """A Redis address; a password in it that looks like a placeholder or is short stops the
    start (the password is not repeated in the message)."""
    if raw is None:
        return None
    try:
        password = urlsplit(raw).password
    except ValueError:
        password = None
    if password is not None:
        _secret(f"the password in {name}", password, 16)
    return raw


def _proxy_url(raw: str | None) -> str | None:
    """An HTTP proxy's URL, as python-telegram-bot's ``proxy`` takes it (the user and password
    percent-encoded); calls to an https Bot API go through it in a CONNECT tunnel."""
    if raw is None:
        return None
    try:
        parts = urlsplit(raw)
        # ``port`` raises ValueError for one that is not a port number.
        valid = parts.scheme == "http" and bool(parts.hostname) and parts.port != 0
    except ValueError:
        valid = False
    if not valid:
        # The URL may hold a password: not repeated in the error.
        raise SettingsError("AIC_TELEGRAM_PROXY_URL must be http://[user:password@]host:port")
    return raw


# What a value copied from an example file, or typed to get going, tends to contain.
_PLACEHOLDER = re.compile(
    r"change[-_ ]?me|changeme|placeholder|example|replace[-_ ]?me|your[-_ ]|todo"
    r"|^(?:secret|password|token)$|^x+$",
    re.IGNORECASE,
)


def _secret(name: str, value: str | None, min_length: int) -> str | None:
    """A secret as set, or none; one that is short or looks like a placeholder stops the start."""
    if value is None:
        return None
    make_one = 'make one with: python -c "import secrets; print(secrets.token_hex(32))"'
    if _PLACEHOLDER.search(value):
        raise SettingsError(f"{name} looks like a placeholder, not a secret: {make_one}")
    if len(value) < min_length:
        raise SettingsError(
            f"{name} is {len(value)} characters; it needs at least {min_length}: {make_one}"
        )
    return value


def load_or_create_key(data_dir: Path) -> bytes:
    """The pseudonym secret kept in ``{data_dir}/pseudonym.key`` (mode 0600).

    Generated on first start; kept so a restart maps each person to the same pseudonym and
    their conversation carries on.
    """
    path = data_dir / PSEUDONYM_KEY_FILE
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once cannot both write a key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 32:
            raise SettingsError(f"{path} is too short to be a pseudonym key") from None
        return key.encode()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        key = secrets.token_hex(32)
        handle.write(key + "\n")
    return key.encode()
