"""What can go wrong with a notice, with a message for the person who asked."""


class NoticeError(ValueError):
    """A change that cannot be made (answers 400); `field` names the form field at fault."""

    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NoticeNotFound(NoticeError):
    """Something named in the request does not exist here (answers 404)."""

    status = 404


class NoticeForbidden(NoticeError):
    """The request names something the member may not act on (answers 403)."""

    status = 403


class TooSoon(NoticeError):
    """A reminder was sent less than an hour ago (answers 429)."""

    status = 429
