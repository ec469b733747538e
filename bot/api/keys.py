"""API keys and webhook subscribers: created by the CLI, checked on every request.

Only a SHA-256 of a key is stored (keys are long random strings, so a plain hash suffices); a
webhook secret is stored as is, since signing needs it.
"""
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from bot.api.errors import ApiError
from models import ApiClient, WebhookSubscriber

KEY_PREFIX = "o311_"


def key_hash(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def parse_scope(scope: str) -> str:
    """The county of a ``county:NAME`` scope; ValueError otherwise."""
    kind, _, county = scope.partition(":")
    if kind != "county" or not county.strip():
        raise ValueError("scope must be county:<county name>")
    return county.strip()


def add_client(session, name: str, scope: str, can_write: bool) -> str:
    """Create a client and return its new key (shown once, never stored)."""
    county = parse_scope(scope)
    if session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None:
        raise ValueError(f"a client named {name} exists already")
    key = KEY_PREFIX + secrets.token_urlsafe(30)
    session.add(ApiClient(name=name, key_hash=key_hash(key), county=county, can_write=can_write))
    return key


def find_client(session, name_or_key: str) -> ApiClient | None:
    """A client by its name or its key."""
    return session.scalar(select(ApiClient).where(
        (ApiClient.name == name_or_key) | (ApiClient.key_hash == key_hash(name_or_key))))


def add_webhook(session, client: ApiClient, url: str) -> str:
    """Subscribe ``url`` to the client's events; returns the signing secret (shown once)."""
    if not url.startswith(("http://", "https://")):
        raise ValueError("the webhook URL must start with http:// or https://")
    secret = secrets.token_hex(32)
    session.add(WebhookSubscriber(client=client, url=url, secret=secret))
    return secret


@dataclass(frozen=True)
class Caller:
    """Who is asking: a client (with its scope and rights) or nobody (the public view)."""

    client_id: int | None = None
    name: str = ""
    county: str = ""
    can_write: bool = False

    def sees_text(self, county: str) -> bool:
        """Whether this caller may read the texts of a case in ``county``."""
        return self.client_id is not None and county == self.county


ANONYMOUS = Caller()


def authenticate(session, key: str | None) -> Caller:
    """The caller for ``api_key``: anonymous when absent, 401 when unknown or revoked."""
    if not key:
        return ANONYMOUS
    client = session.scalar(select(ApiClient).where(ApiClient.key_hash == key_hash(key)))
    if client is None or not client.active:
        raise ApiError(401, "api_key is not valid")
    return Caller(client.id, client.name, client.county, client.can_write)
