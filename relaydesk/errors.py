"""Errors that carry their HTTP status; services raise them, one handler renders them.

RelaydeskError (500)
├── BadRequest (400)
├── Unauthorized (401)
├── NotFound (404)
├── Conflict (409)
└── Unprocessable (422)
"""

from __future__ import annotations

from typing import Any, ClassVar


class RelaydeskError(Exception):
    status_code: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class BadRequest(RelaydeskError):
    status_code = 400
    code = "bad_request"


class Unauthorized(RelaydeskError):
    status_code = 401
    code = "unauthorized"


class NotFound(RelaydeskError):
    status_code = 404
    code = "not_found"


class Conflict(RelaydeskError):
    status_code = 409
    code = "conflict"


class Unprocessable(RelaydeskError):
    status_code = 422
    code = "unprocessable"
