"""Domain errors. Raised anywhere, caught only at the edges (CLI, UI).

Every message says what went wrong *and* what to do next.
"""


class RagError(Exception):
    """Base class: the CLI prints it to stderr and exits non-zero; the UI shows gr.Error."""

    exit_code = 1


class ModelError(RagError):
    """A model file is missing, incomplete or fails its hash check."""

    exit_code = 3


class IndexError_(RagError):
    """The index is missing, corrupt, or was built with other settings."""

    exit_code = 4


class InputError(RagError):
    """The user's question or file cannot be used as given."""

    exit_code = 2


class GenerationError(RagError):
    """No answer server could be reached (openai backend)."""

    exit_code = 5
