"""The federation engine's settings: who this node is and how it paces and bounds sync."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator


class FederationConfig(BaseModel):
    """Everything the engine needs to know about its node and its limits, built once by the node."""

    model_config = ConfigDict(frozen=True)

    slug: str = Field(description="This node's origin slug (e.g. `lyon`).")
    name: str = Field(description="Human name shown to peers.")
    territory: str = Field("", description="Territory the bureau covers.")
    url: str = Field(description="Public base URL peers use; its authority is signed over.")
    software_version: str = Field("0", description="Version announced in the identity document.")
    sync_interval: float = Field(30.0, gt=0, description="Seconds between pulls from a peer.")
    sync_jitter: float = Field(
        0.2, ge=0, lt=1, description="Fraction of the interval added or removed at random."
    )
    backoff_max: float = Field(600.0, gt=0, description="Longest wait after repeated failures.")
    max_age: int = Field(300, gt=0, description="Oldest accepted signature, in seconds.")
    clock_skew: int = Field(30, ge=0, description="Tolerated clock difference, in seconds.")
    max_body_bytes: int = Field(5_000_000, gt=0, description="Largest accepted request body.")
    page_limit: int = Field(1000, gt=0, le=5000, description="Entries asked for per page.")
    max_response_bytes: int = Field(
        16_000_000,
        gt=0,
        description="Largest answer read from a peer; a longer one is abandoned and refused.",
    )
    request_timeout: float = Field(10.0, gt=0, description="Timeout of outgoing requests.")
    notify_debounce: float = Field(
        0.2, ge=0, description="Least seconds between two rounds of notifies."
    )
    notify: bool = Field(
        True,
        description="Notify peers when the log grows (push hints); off, they learn of changes "
        "at their next pull.",
    )
    key_grace: int = Field(
        86_400,
        ge=0,
        description="Seconds a rotated-out key still authenticates requests and responses.",
    )
    inbox_max_attempts: int = Field(
        5, gt=0, description="Times a failing inbox message is retried before it is parked."
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("the federation URL must start with http:// or https://")
        return value.rstrip("/")

    @property
    def authority(self) -> str:
        """The host[:port] requests must be addressed to (the public URL's, not the socket's)."""
        return urlsplit(self.url).netloc.lower()

    @property
    def base_path(self) -> str:
        """The path prefix of the public URL ('' when the node is served at the root)."""
        return urlsplit(self.url).path.rstrip("/")
