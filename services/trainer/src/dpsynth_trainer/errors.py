"""Errors the trainer reports to a data owner.

Every failure that leaves the trainer is a `TrainerError` whose `code` is one of the contract's error codes
(`ZTrainerErrorCode` in packages/contracts). Messages are sentences the owner can act on; they may name a
column, a row number or a setting, and they never quote a record's content.
"""

from __future__ import annotations

import traceback

from .generated.trainer_event import ErrorEvent

#: The contract's error codes (`ZTrainerErrorCode`), read off the generated `error` event.
ErrorCode = ErrorEvent.model_fields["code"].annotation


class TrainerError(Exception):
    """A failure with a contract error code, a safe message and whether a retry could help."""

    code: ErrorCode = "internal"
    retryable: bool = False

    def __init__(self, message: str, *, code: ErrorCode | None = None, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        return self.message


class BadInputError(TrainerError):
    """The uploaded data or the job spec cannot be trained on as it is; retrying will not help."""

    code = "bad_input"


class UnknownModelError(TrainerError):
    """The model id is neither a catalog key, a local directory nor a loadable Hugging Face id."""

    code = "unknown_model"


class BudgetExceededError(TrainerError):
    """Taking the next step would push the privacy accountant past the approved epsilon."""

    code = "budget_exceeded"


class OutOfMemoryError(TrainerError):
    """The device ran out of memory; a smaller physical batch or sequence length would fit."""

    code = "out_of_memory"
    retryable = True


class CancelledError(TrainerError):
    """The job was cancelled by its owner or an admin; a checkpoint was saved first."""

    code = "cancelled"


class NoRowsError(TrainerError):
    """Not one usable synthetic row came out within the candidate budget: the job cannot deliver anything."""

    code = "no_rows"


class InternalError(TrainerError):
    """A fault of the trainer itself (a bug or a broken environment), possibly transient."""

    code = "internal"
    retryable = True


def unexpected(exc: BaseException) -> InternalError:
    """An unexpected exception as an owner-safe error: its message may quote data, so only its class is kept."""
    return InternalError(
        f"The trainer hit an unexpected {type(exc).__name__}. An admin can find the details in the trainer's log."
    )


def stack_without_message(exc: BaseException) -> str:
    """Where an unexpected exception came from, for the trainer's log: the stack, not the message (it could quote a
    record)."""
    return f"unexpected {type(exc).__name__}\n" + "".join(traceback.format_tb(exc.__traceback__))
