"""Visitor tokens: who a widget visitor is, signed so that only this server can issue one.

A widget visitor has no account. ``POST /widget/v1/sessions`` gives them a token, an
itsdangerous URL-safe timed signature (``settings.secret_key``, salt ``relaydesk-widget``) over
a random visitor id, what they told us (name, email, locale) and, once they have written, their
conversation id. Nothing is stored until the first message. The token is signed, not encrypted:
its holder can read it, and it holds nothing they did not give us or could not see anyway.

Holding a token is the only way to read or continue its conversation, so a visitor cannot
reach another's. A token expires ``widget_token_days`` after it was issued; every message
issues a fresh one. Rotating the secret ends every widget session.
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import BaseModel, ConfigDict, ValidationError

from relaydesk.errors import Unauthorized

SALT = "relaydesk-widget"
START_AGAIN = "start a new chat with POST /widget/v1/sessions"


class InvalidVisitorToken(Unauthorized):
    code: ClassVar[str] = "invalid_visitor_token"


class Visitor(BaseModel):
    """What a visitor token carries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    conversation_id: str | None = None
    name: str | None = None
    email: str | None = None
    locale: str | None = None

    @classmethod
    def new(cls, **given: Any) -> Visitor:
        return cls(id=secrets.token_urlsafe(16), **given)

    @property
    def customer_id(self) -> str:
        """The customer's external id in the store."""
        return f"web:{self.id}"


class VisitorTokens:
    def __init__(self, secret_key: str, max_age_days: int) -> None:
        self.max_age_seconds = max_age_days * 24 * 3600
        self._serializer = URLSafeTimedSerializer(secret_key, salt=SALT)

    def issue(self, visitor: Visitor) -> str:
        return self._serializer.dumps(visitor.model_dump(exclude_none=True))

    def read(self, token: str) -> Visitor:
        """The visitor a token names; ``InvalidVisitorToken`` (401) if expired or not ours."""
        try:
            data = self._serializer.loads(token, max_age=self.max_age_seconds)
        except SignatureExpired:
            raise InvalidVisitorToken(f"this chat session has expired; {START_AGAIN}") from None
        except BadSignature:
            raise InvalidVisitorToken(
                f"the visitor token is not valid (altered, or from another server); {START_AGAIN}"
            ) from None
        try:
            return Visitor.model_validate(data)
        except ValidationError:
            raise InvalidVisitorToken(f"the visitor token is not valid; {START_AGAIN}") from None
