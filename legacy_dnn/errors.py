"""Errors a user can act on.

The scripts print these as one line and exit non-zero; anything else is a bug
and keeps its traceback.
"""


class UserError(Exception):
  """Bad input or state that the message tells the user how to fix."""


class DataError(UserError):
  """An IDX file is missing, malformed, or failed its checksum."""


class CheckpointError(UserError):
  """A model_dir cannot be used: locked, corrupt, or from other settings."""


class TrainingError(UserError):
  """Training itself failed, e.g. the loss became NaN."""


class LostTaskError(UserError):
  """A task of the cluster went away. TensorFlow cannot close or delete a
  session whose task is gone without waiting on it, so the script exits at
  once after saying so."""
