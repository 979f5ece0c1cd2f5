"""The one exception type the CLI turns into a single clear line and a non-zero exit."""


class UnisidError(Exception):
    """A user-facing error: bad input, bad config, missing files. The message is the whole story."""
