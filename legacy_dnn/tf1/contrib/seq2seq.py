"""tf.contrib.seq2seq of TensorFlow 1.15: sequence_loss, the one part the
course and most TF1 programs used. The decoders, helpers and attention are a
one-line NotProvidedError.
"""

import tensorflow as tf

from legacy_dnn.tf1 import removed


def sequence_loss(logits, targets, weights, average_across_timesteps=True,
                  average_across_batch=True, sum_over_timesteps=False,
                  sum_over_batch=False, softmax_loss_function=None,
                  name=None):
  """tf.contrib.seq2seq.sequence_loss of TF 1.15: weighted softmax
  cross-entropy of a batch of sequences.

  Args:
    logits: float [batch_size, sequence_length, num_classes].
    targets: int [batch_size, sequence_length], the true classes.
    weights: float [batch_size, sequence_length], each step's weight.
    average_across_timesteps, average_across_batch: divide the sum over that
      axis by the sum of the weights there.
    sum_over_timesteps, sum_over_batch: divide the sum over that axis by the
      count of non-zero weights there.
    softmax_loss_function: f(labels=, logits=) instead of sparse softmax
      cross-entropy.
    name: the op scope (default 'sequence_loss').

  Returns:
    A scalar when both axes are reduced, else [batch_size] or
    [sequence_length], or both axes kept.
  """
  for value, rank, what in ((logits, 3, 'Logits must be a [batch_size x '
                             'sequence_length x logits] tensor'),
                            (targets, 2, 'Targets must be a [batch_size x '
                             'sequence_length] tensor'),
                            (weights, 2, 'Weights must be a [batch_size x '
                             'sequence_length] tensor')):
    if len(value.get_shape()) != rank:
      raise ValueError(what)
  if average_across_timesteps and sum_over_timesteps:
    raise ValueError('average_across_timesteps and sum_over_timesteps cannot '
                     'be set to True at same time.')
  if average_across_batch and sum_over_batch:
    raise ValueError('average_across_batch and sum_over_batch cannot be set '
                     'to True at same time.')
  with tf.compat.v1.name_scope(name, 'sequence_loss',
                               [logits, targets, weights]):
    num_classes = tf.shape(logits)[2]
    logits_flat = tf.reshape(logits, [-1, num_classes])
    targets = tf.reshape(targets, [-1])
    if softmax_loss_function is None:
      crossent = tf.nn.sparse_softmax_cross_entropy_with_logits(
          labels=targets, logits=logits_flat)
    else:
      crossent = softmax_loss_function(labels=targets, logits=logits_flat)
    crossent *= tf.reshape(weights, [-1])
    if average_across_timesteps and average_across_batch:
      return tf.math.divide_no_nan(tf.reduce_sum(crossent),
                                   tf.reduce_sum(weights))
    if sum_over_timesteps and sum_over_batch:
      count = tf.cast(tf.math.count_nonzero(weights), crossent.dtype)
      return tf.math.divide_no_nan(tf.reduce_sum(crossent), count)
    crossent = tf.reshape(crossent, tf.shape(logits)[0:2])
    if average_across_timesteps or average_across_batch:
      axis = [0] if average_across_batch else [1]
      return tf.math.divide_no_nan(tf.reduce_sum(crossent, axis=axis),
                                   tf.reduce_sum(weights, axis=axis))
    if sum_over_timesteps or sum_over_batch:
      axis = [0] if sum_over_batch else [1]
      count = tf.cast(tf.math.count_nonzero(weights, axis=axis),
                      crossent.dtype)
      return tf.math.divide_no_nan(tf.reduce_sum(crossent, axis=axis), count)
    return crossent


# What else tf.contrib.seq2seq held in TF 1.15: each a NotProvidedError;
# any other name an AttributeError offering the closest.
TF1_NAMES = (
    'AttentionMechanism', 'AttentionWrapper', 'AttentionWrapperState',
    'BahdanauAttention', 'BahdanauMonotonicAttention', 'BasicDecoder',
    'BasicDecoderOutput', 'BeamSearchDecoder', 'BeamSearchDecoderOutput',
    'BeamSearchDecoderState', 'CustomHelper', 'Decoder',
    'FinalBeamSearchDecoderOutput', 'GreedyEmbeddingHelper', 'Helper',
    'InferenceHelper', 'LuongAttention', 'LuongMonotonicAttention',
    'SampleEmbeddingHelper', 'ScheduledEmbeddingTrainingHelper',
    'ScheduledOutputTrainingHelper', 'SequenceLoss', 'TrainingHelper',
    'dynamic_decode', 'gather_tree', 'hardmax', 'monotonic_attention',
    'safe_cumprod', 'sequence_loss', 'tile_batch')


def __getattr__(name):
  raise removed.attribute(
      'tf.contrib.seq2seq', {}, name,
      'Keras 3\'s layers (legacy_dnn.v1 provides tf.contrib.seq2seq\'s '
      'sequence_loss only)', TF1_NAMES)
