"""One error type with a machine code, a human message and the HTTP status it maps to."""

from __future__ import annotations


class QAError(Exception):
    """Base error: `code` is stable for clients, `message` says what to do, `status` is the HTTP code."""

    status: int = 400

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status

    def to_dict(self) -> dict[str, dict[str, str]]:
        """The one JSON error shape: {"error": {"code", "message"}}."""
        return {"error": {"code": self.code, "message": self.message}}


class BadQuestion(QAError):
    """The question is empty, too long or malformed."""

    status = 422


class NotFound(QAError):
    """An unknown source id or resource."""

    status = 404


class CorpusError(QAError):
    """A corpus file cannot be read or is inconsistent."""

    status = 400


class IndexUnavailable(QAError):
    """The index is missing, corrupt or was built with another model: rebuild it."""

    status = 503


class IngestError(QAError):
    """A file or URL cannot be added to the corpus."""

    status = 400


class Conflict(QAError):
    """The request clashes with the current state: a duplicate article, or a build already running."""

    status = 409


class Unauthorized(QAError):
    """An admin endpoint was called without the right bearer token."""

    status = 401


class AdminDisabled(QAError):
    """Admin endpoints are off because no admin token is configured."""

    status = 403


class BadSetting(QAError):
    """A LIBYA_QA_* setting has a value no component can use."""

    status = 500


class Gone(QAError):
    """The resource existed but is no longer kept (a pruned index version)."""

    status = 410


class DiskFull(QAError):
    """A write ran out of disk space; what was half-written has been removed."""

    status = 507


class Overloaded(QAError):
    """The server is at capacity: try again after `retry_after` seconds."""

    status = 503

    def __init__(self, code: str, message: str, retry_after: int = 1) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after
