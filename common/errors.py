class DomainError(Exception):
    """A business rule refused the request. The message is meant for the user: it names the row,
    field or date to fix. Views show it as a form error, commands exit non-zero with it."""

    def __init__(self, message: str, *, field: str | None = None, errors: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or [message]
