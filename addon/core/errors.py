# SPDX-License-Identifier: GPL-3.0-or-later
"""Error types shared by the core, the operators and the CLI.

Every error a user can cause carries a one-line message that says what went wrong and what
to do about it. The CLI maps the class to its exit code; operators show the message as a
Blender report. Messages must never contain an API key.
"""

# Exit codes of the headless companion. Documented in docs/cli.md.
EXIT_OK = 0
EXIT_CHECK_FAILED = 1  # the mesh was read and checked, and a print check failed
EXIT_BAD_INPUT = 2  # the user gave something we cannot use (path, image, mesh, option)
EXIT_INTERNAL = 3  # a bug or an unexpected environment problem
EXIT_REMOTE = 4  # a remote service refused or failed (key, credits, outage)
EXIT_CANCELLED = 5  # the user cancelled


class FigurineError(Exception):
    """Base class: a failure with a message fit to show a user."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, *, hint: str = ""):
        self.message = message
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        if self.hint:
            return f"{self.message} — {self.hint}"
        return self.message


class BadInputError(FigurineError):
    """Input the user supplied cannot be used (missing file, not an image, empty mesh...)."""

    exit_code = EXIT_BAD_INPUT


class ViewCheckError(BadInputError):
    """A paid generation refused before anything is sent: a view it would send is clearly wrong
    (a side view facing the wrong way). The caller may send the views anyway on request."""


class OutputError(FigurineError):
    """An output location cannot be written."""

    exit_code = EXIT_BAD_INPUT


class RemoteError(FigurineError):
    """A remote service failed or refused the request."""

    exit_code = EXIT_REMOTE


class CancelledError(FigurineError):
    """The user asked to stop."""

    exit_code = EXIT_CANCELLED
