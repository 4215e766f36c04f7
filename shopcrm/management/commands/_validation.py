from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


def as_command_error(exc: ValidationError) -> CommandError:
    """Turn a model's field errors into one readable command-line error."""
    if hasattr(exc, "message_dict"):
        lines = [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
    else:
        lines = exc.messages
    return CommandError("; ".join(lines))
