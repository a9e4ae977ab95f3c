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


class ShapeError(RuntimeError, ValueError):
    """Operand shapes that do not fit the op (matmul, reshape, broadcasting, ...).

    PyTorch raises RuntimeError for these; glassgrad used to raise ValueError. This class
    is both, so `except RuntimeError` (ported code) and `except ValueError` catch it.
    """


class DtypeError(RuntimeError, TypeError):
    """Operands of dtypes an op will not mix (`float32 @ float64`, Linear on float64 input),
    a RuntimeError as in PyTorch, and a TypeError."""


class CheckpointError(ValueError):
    """A saved file that cannot be loaded: not an .npz of plain number arrays, truncated,
    damaged, or claiming more data than it holds. The message names the file and the problem."""
