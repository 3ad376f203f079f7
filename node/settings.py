"""The node's typed settings: one object, built once, passed into the app and the CLI.

Values come, by increasing priority, from the defaults below, the home's `settings.toml`
(written by `archipel init`) and `ARCHIPEL_`-prefixed environment variables, nested with a
double underscore (`ARCHIPEL_DATABASE__URL`). Nothing here reads the environment at import
time: call `load_settings(home)`.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

SETTINGS_FILE = "settings.toml"
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")


def validate_slug(value: str) -> str:
    """Return `value` if it is a valid node slug (lowercase letters, digits, inner hyphens)."""
    if not SLUG_RE.match(value):
        raise ValueError(
            "a slug is 1-40 lowercase letters, digits or hyphens, "
            "not starting or ending with a hyphen (e.g. 'lyon', 'pays-basque')"
        )
    return value


class NodeSection(BaseModel):
    """Who this bureau is: the identity other bureaus see."""

    slug: str = Field("bureau", description="Short unique name of the bureau (e.g. `lyon`).")
    # At most what peers accept in an identity document (schemas/federation.py).
    name: str = Field(
        "Bureau Archipel", max_length=200, description="Human name (e.g. `Bureau de Lyon`)."
    )
    territory: str = Field(
        "", max_length=200, description="Territory the bureau covers (e.g. a region)."
    )
    host_area: list[str] = Field(
        default_factory=list,
        description=(
            "Where the bureau hosts touring productions: département numbers or postal-code "
            "prefixes (`38`, `73`) and city names (`Grenoble`). A network date there shows in "
            '"Dates qui viennent chez nous".'
        ),
    )
    url: str = Field(
        "http://127.0.0.1:8000",
        max_length=500,
        description="Public base URL other bureaus use to reach this node.",
    )

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        return validate_slug(value)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("the node URL must start with http:// or https://")
        return value.rstrip("/")


class DatabaseSection(BaseModel):
    """Where the node keeps its data."""

    url: str = Field(
        "",
        description=(
            "SQLAlchemy URL. Empty means SQLite at `<home>/archipel.db`. PostgreSQL: "
            "`postgresql+psycopg://user@host/dbname`."
        ),
    )
    echo: bool = Field(False, description="Log every SQL statement (debugging only).")


class ServerSection(BaseModel):
    """How `archipel serve` listens."""

    host: str = Field("127.0.0.1", description="Interface to listen on.")
    port: int = Field(8000, ge=1, le=65535, description="TCP port to listen on.")
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="Proxies trusted for X-Forwarded-* headers (comma-separated, or `*`).",
    )


class SecuritySection(BaseModel):
    """Accounts, sessions and request limits of the local API."""

    session_days: int = Field(14, ge=1, description="Lifetime of a login session, in days.")
    secure_cookies: bool | None = Field(
        None,
        description="Mark cookies `Secure`. Default: when the node URL is https.",
    )
    max_body_bytes: int = Field(
        2_000_000, ge=1024, description="Largest request body the local API accepts."
    )
    login_max_failures: int = Field(
        5,
        ge=0,
        description=(
            "Failed logins of one account from one address, within `login_window`, after "
            "which logging in from there is refused (429) until the oldest expires. 0: no limit."
        ),
    )
    login_window: float = Field(
        900.0, gt=0, description="Seconds a failed login counts against its account and address."
    )


class FederationSection(BaseModel):
    """How this node syncs with its peers and what it accepts from them."""

    enabled: bool = Field(
        True, description="Run the sync scheduler in `archipel serve` (pull, notify, outbox)."
    )
    sync_interval: float = Field(30.0, gt=0, description="Seconds between pulls from a peer.")
    sync_jitter: float = Field(
        0.2, ge=0, lt=1, description="Fraction of the interval added or removed at random."
    )
    backoff_max: float = Field(600.0, gt=0, description="Longest wait after repeated failures.")
    max_age: int = Field(300, gt=0, description="Oldest accepted signature, in seconds.")
    clock_skew: int = Field(30, ge=0, description="Tolerated clock difference, in seconds.")
    max_body_bytes: int = Field(
        5_000_000, gt=0, description="Largest federation request body accepted."
    )
    page_limit: int = Field(1000, gt=0, le=5000, description="Entries asked for per page.")
    max_response_bytes: int = Field(
        16_000_000,
        ge=1_000_000,
        description="Largest answer read from a peer; a longer one is abandoned and refused.",
    )
    request_timeout: float = Field(10.0, gt=0, description="Timeout of outgoing requests.")
    notify_debounce: float = Field(
        0.2,
        ge=0,
        description="Least seconds between two rounds of notifies (the first goes at once).",
    )
    notify: bool = Field(
        True,
        description="Notify peers when the log grows (push hints); off, they learn of changes "
        "at their next pull.",
    )
    key_grace: int = Field(
        86_400, ge=0, description="Seconds a rotated-out key is still accepted from a peer."
    )


class WebhookSection(BaseModel):
    """An optional URL of another tool that receives the bureau's loan and hosting events."""

    url: str = Field("", description="Where events are POSTed (JSON). Empty: no webhook.")
    secret: str = Field(
        "",
        description=(
            "Shared secret: each POST carries `X-Archipel-Signature: sha256=<HMAC of the body>`."
        ),
    )
    timeout: float = Field(5.0, gt=0, le=60, description="Seconds to wait for the webhook.")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("the webhook URL must start with http:// or https://")
        return value


class Settings(BaseSettings):
    """Every setting of a node. See docs/configuration.md for each one."""

    model_config = SettingsConfigDict(
        env_prefix="ARCHIPEL_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    home: Path = Field(Path("var/node"), description="The node's home folder.")
    node: NodeSection = Field(default_factory=NodeSection)
    database: DatabaseSection = Field(default_factory=DatabaseSection)
    server: ServerSection = Field(default_factory=ServerSection)
    security: SecuritySection = Field(default_factory=SecuritySection)
    federation: FederationSection = Field(default_factory=FederationSection)
    webhook: WebhookSection = Field(default_factory=WebhookSection)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment beats the settings file, which beats defaults; explicit init beats all.
        return (init_settings, env_settings)

    @property
    def database_url(self) -> str:
        """The effective SQLAlchemy URL (SQLite in the home when none is set)."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.home / 'archipel.db').resolve()}"

    @property
    def cookies_secure(self) -> bool:
        if self.security.secure_cookies is not None:
            return self.security.secure_cookies
        return self.node.url.startswith("https://")


def read_settings_file(home: Path) -> dict[str, Any]:
    """The raw contents of `<home>/settings.toml`, or `{}` when there is none."""
    path = home / SETTINGS_FILE
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        return tomllib.load(handle)


def load_settings(home: Path, **overrides: Any) -> Settings:
    """Build the settings of the node at `home`: file, then environment, then `overrides`."""
    from_file = read_settings_file(home)
    env_only = Settings()
    merged: dict[str, Any] = {}
    for section in ("node", "database", "server", "security", "federation", "webhook"):
        values = dict(from_file.get(section, {}))
        env_section = getattr(env_only, section)
        for key in env_section.model_fields_set:
            values[key] = getattr(env_section, key)
        values.update(overrides.pop(section, {}))
        merged[section] = values
    merged.update(overrides)
    merged["home"] = home
    return Settings(**merged)


def render_settings_file(settings: Settings) -> str:
    """The TOML text `archipel init` writes into a new home."""

    def quote(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        "# Archipel node settings. Environment variables ARCHIPEL_<SECTION>__<KEY> override.",
        "",
        "[node]",
        f"slug = {quote(settings.node.slug)}",
        f"name = {quote(settings.node.name)}",
        f"territory = {quote(settings.node.territory)}",
        f"url = {quote(settings.node.url)}",
        "",
        "[database]",
        f"url = {quote(settings.database.url)}",
        "",
        "[server]",
        f"host = {quote(settings.server.host)}",
        f"port = {settings.server.port}",
        "",
    ]
    return "\n".join(lines)


def setting_paths(model: type[BaseModel] = Settings, prefix: str = "") -> list[str]:
    """Every section setting as `section.key` (what docs/configuration.md must describe)."""
    names = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.extend(setting_paths(annotation, f"{prefix}{name}."))
        elif prefix:
            names.append(f"{prefix}{name}")
    return names
