"""Errors a user can act on.

The scripts print these as one line and exit non-zero; anything else is a bug
and keeps its traceback.
"""

import re

# What TensorFlow wraps around an op's own message in graph mode: a heading,
# the frames that built the node, the node's name, a hint; and in eager mode
# the function and op it ran in.
_TENSORFLOW_WRAPPING = re.compile(
    r'\s*$|Graph execution error:$|Detected at node |\s+File "|Node: '
    r'|\s*\[\[\{\{node |Hint: ')
_EAGER_WRAPPING = re.compile(r'^\{\{function_node [^}]*\}\} | \[Op:\w+\]'
                             r'( name: \S*)?$')


def tensorflow_message(error):
  """The line of a TensorFlow error (or any exception) that says what went
  wrong, without what TensorFlow wraps around it."""
  text = getattr(error, 'message', None) or str(error)
  lines = [line for line in text.splitlines()
           if not _TENSORFLOW_WRAPPING.match(line)]
  line = lines[0] if lines else text.strip().split('\n')[0]
  return _EAGER_WRAPPING.sub('', line).strip()


class UserError(ValueError):
  """Bad input or state that the message tells the user how to fix.

  A ValueError, as scikit-learn's InvalidParameterError and Keras's argument
  checks are, so code that catches a bad value catches these too.
  """


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
