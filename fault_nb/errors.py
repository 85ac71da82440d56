"""The one error hierarchy of fault_nb.

Every error the core raises on purpose derives from :class:`FaultNbError` and
from the builtin that fits (``ValueError``, ``KeyError`` ...), so ordinary
``except`` clauses keep working. The CLI and the widgets turn these into a
one-line message; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

from typing import Any


class FaultNbError(Exception):
    """Base class of every error fault_nb raises on purpose."""


def _json_path(parts: Any) -> str:
    """Render a path like ``$.results[0].scenario.title`` from its parts."""
    if isinstance(parts, str):
        return parts
    out = "$"
    for p in parts or ():
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


class InputFileError(FaultNbError, ValueError):
    """A file the user gave is malformed.

    The message names the file, the JSON path of the bad field and what was
    expected, e.g. ``results.json: $.results[0].results[1].total_time.secs:
    expected an integer, got 1.5``.
    """

    def __init__(self, file: Any, path: Any = (), problem: str = "", *, expected: str | None = None):
        self.file = str(file) if file is not None else "<input>"
        self.path = _json_path(path)
        self.problem = problem
        self.expected = expected
        msg = f"{self.file}: {self.path}: {problem}"
        if expected:
            msg += f" (expected {expected})"
        super().__init__(msg)


class ResultsFormatError(InputFileError):
    """A results.json / results.yaml does not follow fault's ScenariosResults format."""


class ScenarioFormatError(InputFileError):
    """A scenario YAML document is malformed; ``path`` starts with the document index."""


class OpenAPIError(InputFileError):
    """An OpenAPI document cannot be read or is not OpenAPI 3.0/3.1."""


class ScenarioRunError(FaultNbError, RuntimeError):
    """A scenario run could not start (port in use, proxy failure ...)."""


class CompareError(FaultNbError, ValueError):
    """Two Results cannot be compared (an empty side, a side where nothing answered, different apps)."""


class CodeIndexError(FaultNbError, RuntimeError):
    """The code index cannot be built or opened (missing dir, locked store ...)."""


class UnknownEndpointError(FaultNbError, KeyError):
    """An operationId that is not in the results / index; lists the valid ones."""

    def __init__(self, operation_id: str, choices: list[str] | None = None):
        self.operation_id = operation_id
        self.choices = list(choices or [])
        msg = f"unknown endpoint {operation_id!r}"
        if self.choices:
            msg += ". Expected one of: " + ", ".join(self.choices)
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError quotes its message otherwise
        return self.args[0]


class ColumnError(FaultNbError, ValueError):
    """A DataFrame given to a plot lacks a column; the message lists the valid ones."""

    def __init__(self, argument: str, value: object, columns: list[str]):
        self.argument = argument
        self.value = value
        self.columns = list(columns)
        super().__init__(
            f"Value of {argument!r} is not the name of a column in 'data_frame'. "
            f"Expected one of {self.columns} but received: {value!r}"
        )


class LLMError(FaultNbError, RuntimeError):
    """The LLM endpoint failed (bad key, unknown model, repeated 5xx ...)."""


class LLMTruncatedError(LLMError):
    """The model's answer was cut (``finish_reason: length`` or a stream dropped mid-answer); never cached."""

    def __init__(self, message: str, *, text: str = "", tokens: int | None = None,
                 prompt_tokens: int | None = None):
        super().__init__(message)
        self.text = text
        self.tokens = tokens
        self.prompt_tokens = prompt_tokens  # the server's count of what was sent, when it said


class LLMContextError(LLMError):
    """The prompt does not fit the model's context window."""


class LLMTimeoutError(LLMError):
    """A model call ran past its timeout, or a review past its deadline (not retried)."""


class LLMCancelledError(LLMError):
    """The caller cancelled the call; the stream was closed so the server stops generating."""


class SettingsError(FaultNbError, ValueError):
    """An environment variable holds a value fault_nb cannot use; the message names the variable."""


class ExportError(FaultNbError, RuntimeError):
    """A report could not be exported (pandoc missing, unwritable path ...)."""


class UnsafePathError(FaultNbError, ValueError):
    """A path (usually from model output) points outside the directory the user gave."""


class MissingExtraError(FaultNbError, ImportError):
    """An optional dependency is missing; the message says which extra to install."""

    def __init__(self, module: str, extra: str):
        self.module = module
        self.extra = extra
        super().__init__(
            f"{module} is not installed. Install it with: pip install 'fault-nb[{extra}]'"
        )


def require(module: str, extra: str):
    """Import an optional dependency or raise :class:`MissingExtraError`.

    >>> qdrant_client = require("qdrant_client", "code")  # doctest: +SKIP
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtraError(module, extra) from exc


class VerifyError(FaultNbError, RuntimeError):
    """The verification loop cannot run (bad suggestion choice, a diff that no longer applies ...)."""


class AppStartError(VerifyError):
    """An app under verification did not start: command not found, port in use, never ready.

    ``log_tail`` holds the last lines the app printed (empty when it never ran).
    """

    def __init__(self, message: str, log_tail: str = ""):
        self.log_tail = log_tail
        super().__init__(message + (f"\n--- last lines of its log ---\n{log_tail}" if log_tail else ""))


class Cancelled(FaultNbError, RuntimeError):
    """Work stopped because the user asked for it (a cancel event or button)."""
