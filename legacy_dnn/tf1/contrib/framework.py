"""tf.contrib.framework's arg_scope of TensorFlow 1.15.

`with arg_scope([fully_connected, batch_norm], **defaults):` gives every call
of those functions inside the block those keyword arguments, unless the call
passes its own; scopes nest, the inner one overriding. Only functions
decorated with add_arg_scope take part, as in TF1.
"""

import contextlib
import functools
import inspect
import threading

_stack = threading.local()


def current_arg_scope():
  """{function key: {argument: value}} in force here (a copy to re-enter
  with arg_scope(scope))."""
  scopes = getattr(_stack, 'scopes', None)
  return scopes[-1] if scopes else {}


def _key(function):
  return getattr(function, '_key_op', None)


def has_arg_scope(function):
  """Whether function was decorated with add_arg_scope."""
  return _key(function) is not None


def add_arg_scope(function):
  """Makes function take its defaults from the arg_scope in force."""
  key = (function.__module__, function.__qualname__)

  @functools.wraps(function)
  def with_scope(*args, **kwargs):
    defaults = current_arg_scope().get(key)
    if defaults:
      kwargs = dict(defaults, **kwargs)
    return function(*args, **kwargs)

  with_scope._key_op = key  # pylint: disable=protected-access
  return with_scope


def arg_scoped_arguments(function):
  """The names of the arguments function takes from an arg_scope."""
  return list(inspect.signature(function).parameters)


@contextlib.contextmanager
def arg_scope(list_ops_or_scope, **kwargs):
  """Sets defaults of keyword arguments for the functions listed.

  Args:
    list_ops_or_scope: functions decorated with add_arg_scope (a list or
      tuple), or a scope that an earlier `with arg_scope(...) as scope`
      gave, to enter again (then no kwargs).
    **kwargs: the defaults.

  Yields:
    The scope now in force.

  Raises:
    TypeError: list_ops_or_scope is neither; ValueError: a function is not
      decorated, or kwargs are given with a scope.
  """
  if isinstance(list_ops_or_scope, dict):
    if kwargs:
      raise ValueError('arg_scope(scope) takes no other arguments when it '
                       're-enters a scope')
    scope = list_ops_or_scope
  else:
    if not isinstance(list_ops_or_scope, (list, tuple)):
      raise TypeError('arg_scope takes a list or tuple of functions, or a '
                      'scope, not %r' % (list_ops_or_scope,))
    scope = dict(current_arg_scope())
    for function in list_ops_or_scope:
      if not has_arg_scope(function):
        raise ValueError('%s is not decorated with @add_arg_scope'
                         % getattr(function, '__name__', function))
      scope[_key(function)] = dict(scope.get(_key(function), {}), **kwargs)
  if not hasattr(_stack, 'scopes'):
    _stack.scopes = []
  _stack.scopes.append(scope)
  try:
    yield scope
  finally:
    _stack.scopes.pop()
