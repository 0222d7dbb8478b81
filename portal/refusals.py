"""The errors every rule of the program raises when it refuses a request."""


class ProgramError(ValueError):
    """A request the program's rules refuse; the message is for a person (``field``: the field it is about)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NeedsConfirmation(ProgramError):
    """Allowed, but unusual enough that a person must say it is what they meant (the messages say why)."""

    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages))
        self.messages = messages
