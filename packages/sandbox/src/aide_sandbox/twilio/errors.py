"""Twilio's error body, `{"code", "message", "more_info", "status"}`, which twilio-python turns into
`TwilioRestException` (wire-formats 3.5). Codes are Twilio's documented ones."""

from __future__ import annotations

from starlette.responses import JSONResponse


class TwilioError(Exception):
    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        body = {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }
        return JSONResponse(body, status_code=self.status, headers=self.headers)


def not_found(uri: str) -> TwilioError:
    return TwilioError(404, 20404, f"The requested resource {uri} was not found")


def invalid(code: int, message: str) -> TwilioError:
    return TwilioError(400, code, message)


def unauthenticated() -> TwilioError:
    return TwilioError(401, 20003, "Authenticate")
