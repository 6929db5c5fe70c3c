"""Preparing a user's image as the datasets prepared theirs: images.py."""

import struct

import numpy as np
import pytest
import tensorflow as tf

from legacy_dnn import images
from legacy_dnn.errors import UserError

MNIST = images.PREPARATIONS['mnist']
FASHION = images.PREPARATIONS['fashion_mnist']
CIFAR = images.PREPARATIONS['cifar10']


def stroke(height=60, width=50):
  """uint8 [h, w, 1]: a white L of ink, off-centre, on black."""
  image = np.zeros((height, width, 1), np.uint8)
  image[5:45, 8:14] = 255
  image[39:45, 8:30] = 255
  return image


def write(path, pixels, fmt='png'):
  encode = tf.io.encode_png if fmt == 'png' else tf.io.encode_jpeg
  path.write_bytes(encode(pixels).numpy())
  return str(path)


# The smallest GIF there is, one pixel, as written by hand since TensorFlow
# decodes GIFs but does not encode them.
GIF_1X1 = (b'GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff'
           b'!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00'
           b'\x00\x02\x02D\x01\x00;')


def bmp(width, height):
  """A 24-bit BMP file's bytes, written by hand (black pixels)."""
  row = (width * 3 + 3) // 4 * 4
  pixels = b'\0' * row * height
  return (b'BM' + struct.pack('<IHHI', 54 + len(pixels), 0, 0, 54) +
          struct.pack('<IiiHHIIiiII', 40, width, height, 1, 24, 0,
                      len(pixels), 2835, 2835, 0, 0) + pixels)


def test_mnist_preparation_fits_the_ink_in_20_pixels_centred_by_mass():
  seen = images.prepare(stroke(), MNIST)
  assert seen.shape == (28, 28, 1) and seen.dtype == np.float32
  ink = seen[..., 0] > 0.5
  rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
  assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 in (19, 20, 21)
  centre = np.array([(np.indices(seen[..., 0].shape)[k] * seen[..., 0]).sum()
                     for k in (0, 1)]) / seen.sum()
  assert np.all(np.abs(centre - 13.5) <= 0.75), centre
  assert seen.max() == pytest.approx(1.0, abs=0.05)


def test_fashion_preparation_scales_the_longer_side_to_28():
  seen = images.prepare(stroke(), FASHION)[..., 0]
  rows = np.flatnonzero((seen > 0.5).any(1))
  assert rows[-1] - rows[0] + 1 >= 27


@pytest.mark.parametrize('preparation', [MNIST, FASHION])
def test_dark_on_light_colour_and_transparent_drawings_read_as_ink(
    preparation):
  """What a paint program saves: black strokes on white, in colour, or on a
  transparent background, all read as the same white-on-black ink.

  Coloured ink on coloured paper has less contrast than black on white:
  MNIST's preparation stretches it to full scale, Fashion-MNIST's keeps it
  (a dark garment stays dim)."""
  plain = images.prepare(stroke(), preparation)
  ink = stroke()
  on_paper = 255 - ink
  coloured = np.concatenate([on_paper, on_paper // 2 + 100, on_paper], -1)
  transparent = np.concatenate([np.zeros_like(ink)] * 3 + [ink], -1)
  paper_and_ink = images.greyscale(coloured[[0, 5], [0, 10]][:, None])[:, 0]
  coloured_contrast = 1 if preparation.stretch else (
      paper_and_ink[0] - paper_and_ink[1])
  assert coloured_contrast == 1 or 0.6 < coloured_contrast < 0.8
  for variant, contrast in ((on_paper, 1), (coloured, coloured_contrast),
                            (transparent, 1)):
    seen = images.prepare(variant, preparation)
    assert np.abs(seen - contrast * plain).max() < 0.15


def test_cifar_preparation_keeps_colour_and_the_whole_picture():
  rgb = np.zeros((64, 96, 3), np.uint8)
  rgb[..., 0] = 255  # All red.
  seen = images.prepare(rgb, CIFAR)
  assert seen.shape == (32, 32, 3)
  np.testing.assert_allclose(seen[..., 0], 1, atol=1e-5)
  np.testing.assert_allclose(seen[..., 1:], 0, atol=1e-5)
  grey = images.prepare(np.full((10, 10, 1), 128, np.uint8), CIFAR)
  assert grey.shape == (32, 32, 3)


def test_a_flat_image_is_blank():
  with pytest.raises(images.BlankImageError, match='blank'):
    images.prepare(np.full((30, 40, 3), 200, np.uint8), MNIST)


def test_decode_reads_png_jpeg_gif_and_bmp(tmp_path):
  png = write(tmp_path / 'a.png', stroke())
  jpeg = write(tmp_path / 'a.jpg', stroke(), 'jpeg')
  (tmp_path / 'a.bmp').write_bytes(bmp(3, 2))
  (tmp_path / 'a.gif').write_bytes(GIF_1X1)
  assert images.decode(png).shape == (60, 50, 1)
  assert images.decode(jpeg).shape == (60, 50, 1)
  assert images.decode(str(tmp_path / 'a.bmp')).shape == (2, 3, 3)
  assert images.decode(str(tmp_path / 'a.gif')).shape == (1, 1, 3)


@pytest.mark.parametrize('name, contents, message', [
    ('empty.png', b'', 'the file is empty'),
    ('notes.png', b'not an image at all', 'not an image'),
    ('zero.bmp', bmp(0, 4), 'the image has no pixels'),
])
def test_bad_files_are_one_error_naming_the_file(tmp_path, name, contents,
                                                 message):
  (tmp_path / name).write_bytes(contents)
  with pytest.raises(UserError) as e:
    images.decode(str(tmp_path / name))
  assert str(e.value).startswith(str(tmp_path / name) + ': ' + message)
  assert '\n' not in str(e.value)


def test_a_truncated_file_is_named_as_damaged(tmp_path):
  whole = write(tmp_path / 'whole.png', stroke())
  (tmp_path / 'cut.png').write_bytes(open(whole, 'rb').read()[:100])
  with pytest.raises(UserError, match='cut.png: a damaged or truncated image'):
    images.decode(str(tmp_path / 'cut.png'))
  with pytest.raises(UserError, match='missing.png: cannot read'):
    images.decode(str(tmp_path / 'missing.png'))
