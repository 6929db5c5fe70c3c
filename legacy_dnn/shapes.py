"""What a network's layers hold and cost, from its preset alone: each
layer's output shape, the shapes and FLOPs of a training step's matmuls and
convolutions, parameter counts. No graph is built: training.py sizes its
thread pools and multistep.py its calls by these, and the benchmark its
attainable limit.
"""

import numpy as np

from legacy_dnn import data
from legacy_dnn import presets


def layer_shapes(net, image_shape):
  """(Layer, shape of its output for one example) for each layer of net."""
  shape, result = tuple(image_shape), []
  if net.inputs:  # The dense blocks read the last input.
    shape = (net.inputs[-1][2] - net.inputs[-1][1],)
  for layer in presets.layers(net, data.NUM_CLASSES):
    if layer.kind == presets.CONV:
      side = [d - (net.kernel_size - 1 if net.conv_padding == presets.VALID
                   else 0) for d in shape[:2]]
      shape = tuple(side) + (layer.size,)
    elif layer.kind == presets.POOL:
      shape = tuple((d // 2 if net.pool_padding == presets.VALID else
                     (d + 1) // 2) for d in shape[:2]) + shape[2:]
    elif layer.kind == presets.DENSE:
      shape = (layer.size,)
    elif layer.kind == presets.CONCAT:
      shape = (shape[0] + sum(stop - start for _, start, stop in
                              net.inputs[:-1]),)
    result.append((layer, shape))
  return result


MNIST_IMAGE = data.DATASETS['mnist'].image_shape


def widest_layer(net, image_shape):
  """The most values one example makes in any layer's output."""
  return max(int(np.prod(shape))
             for _, shape in layer_shapes(net, image_shape))


def gemm_shapes(net, batch_size, image_shape=MNIST_IMAGE):
  """The (m, k, n) of every matmul in one training step of net's dense layers.

  Per dense layer: the forward product, the kernel gradient and, except for
  the first layer of the network (whose input needs no gradient), the input
  gradient.
  """
  shapes, n_in = [], int(np.prod(image_shape))
  if net.inputs:  # The dense blocks read the last input.
    n_in = net.inputs[-1][2] - net.inputs[-1][1]
  for i, (layer, shape) in enumerate(layer_shapes(net, image_shape)):
    if layer.kind in (presets.DENSE, presets.AUX):
      shapes.append((batch_size, n_in, layer.size))  # X W
      shapes.append((n_in, batch_size, layer.size))  # X^T dY
      if i:
        shapes.append((batch_size, layer.size, n_in))  # dY W^T
    n_in = int(np.prod(shape))
  return shapes


def conv_flops_per_example(net, image_shape):
  """Multiply-add FLOPs of the convolutions of one example's training step:
  forward, kernel gradient and (but for the first) input gradient."""
  flops, channels = 0, image_shape[-1]
  for i, (layer, shape) in enumerate(layer_shapes(net, image_shape)):
    if layer.kind == presets.CONV:
      macs = int(np.prod(shape)) * net.kernel_size**2 * channels
      flops += 2 * macs * (3 if i else 2)
    if len(shape) == 3:
      channels = shape[-1]
  return flops


def flops_per_example(net, image_shape=MNIST_IMAGE):
  """Multiply-add FLOPs (2 per MAC) of the matmuls and convolutions of one
  example's training step."""
  return sum(2 * m * k * n for m, k, n in gemm_shapes(net, 1, image_shape)
             ) + conv_flops_per_example(net, image_shape)


def parameter_count(variables):
  return sum(int(np.prod(v.shape)) for v in variables)
