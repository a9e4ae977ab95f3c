"""Errors raised by the engine. Each one names the op and the operand that caused it."""
from __future__ import annotations


class DomainError(ArithmeticError):
    """An op was asked for a value outside its mathematical domain.

    >>> from autograd import Value
    >>> Value(-1.0, label="x").log()
    Traceback (most recent call last):
    ...
    autograd.errors.DomainError: log: operand must be > 0, got x = -1.0
    """

    def __init__(self, op: str, operand: float, reason: str, name: str = "") -> None:
        self.op, self.operand, self.reason, self.name = op, operand, reason, name
        shown = f"{name} = {operand!r}" if name else repr(operand)
        super().__init__(f"{op}: {reason}, got {shown}")

    def naming(self, name: str) -> "DomainError":
        """The same error, with the operand's label in the message."""
        return type(self)(self.op, self.operand, self.reason, name)


class DivisionByZero(DomainError, ZeroDivisionError):
    """Division by zero (or zero to a negative power); still a ZeroDivisionError."""


class Overflow(DomainError, OverflowError):
    """The result does not fit in a float (e.g. exp(1000)); still an OverflowError."""


class GradcheckError(RuntimeError):
    """Backprop and central differences disagree (raised by `autograd.gradcheck`)."""
