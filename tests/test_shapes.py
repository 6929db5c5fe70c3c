"""Layer shapes, GEMM shapes and FLOPs, from the presets alone."""

from legacy_dnn import presets
from legacy_dnn import shapes


def test_gemm_shapes_and_flops():
  assert shapes.gemm_shapes(presets.PRESETS['homl'], 50) == [
      (50, 784, 300), (784, 50, 300),
      (50, 300, 100), (300, 50, 100), (50, 100, 300),
      (50, 100, 10), (100, 50, 10), (50, 10, 100)]
  # deep: forward and kernel gradient of 784x512, all three products of
  # three 512x512 layers and of 512x10, two FLOPs per multiply-add.
  assert shapes.flops_per_example(presets.PRESETS['deep']) == 2 * (
      2 * 784 * 512 + 3 * 3 * 512 * 512 + 3 * 512 * 10)
  # cnn: conv1 (28x28x32 outputs, 3x3x1 each: forward and kernel gradient),
  # conv2 (14x14x64, 3x3x32, all three), and the 3136x10 output layer.
  assert shapes.flops_per_example(presets.PRESETS['cnn']) == 2 * (
      2 * 28 * 28 * 32 * 9 + 3 * 14 * 14 * 64 * 9 * 32 + 3 * 3136 * 10)
  lenet = [shape for _, shape in shapes.layer_shapes(presets.PRESETS['lenet'],
                                                    (28, 28, 1))]
  assert lenet[:6] == [(24, 24, 6)] * 2 + [(12, 12, 6), (8, 8, 16),
                                           (8, 8, 16), (4, 4, 16)]
