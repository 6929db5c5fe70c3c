"""Preparing a user's image as the datasets prepared theirs: images.py."""

import re
import struct
import zlib

import numpy as np
import pytest
import tensorflow as tf

from legacy_dnn import config
from legacy_dnn import images
from legacy_dnn.errors import UserError

BUDGET = config.MAX_IMAGE_PIXELS
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


def bmp(width, height, pixels=None):
  """A 24-bit BMP file's bytes, written by hand (black pixels); pixels, if
  given, stands in for the pixel data (a header that promises more)."""
  row = (width * 3 + 3) // 4 * 4
  if pixels is None:
    pixels = b'\0' * row * abs(height)
  return (b'BM' + struct.pack('<IHHI', 54 + len(pixels), 0, 0, 54) +
          struct.pack('<IiiHHIIiiII', 40, width, height, 1, 24, 0,
                      len(pixels), 2835, 2835, 0, 0) + pixels)


def _png_chunk(kind, payload):
  return (struct.pack('>I', len(payload)) + kind + payload +
          struct.pack('>I', zlib.crc32(kind + payload)))


def png_bomb(width, height):
  """A valid black greyscale PNG of width x height, written row by row
  through zlib: 20,000 x 20,000 is 390 KB that decode to 400 MB."""
  compressor = zlib.compressobj(9)
  row = bytes(1 + width)  # Filter type 0, then the row's pixels.
  data = b''.join(compressor.compress(row) for _ in range(height))
  return (images.PNG_SIGNATURE +
          _png_chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 0,
                                          0, 0, 0)) +
          _png_chunk(b'IDAT', data + compressor.flush()) +
          _png_chunk(b'IEND', b''))


def gif(screen, frames):
  """A GIF of a logical screen (width, height) and frames (width, height),
  each holding the image data of one pixel: whole for a 1x1 frame, cut
  short for a larger one."""
  head = (b'GIF89a' + struct.pack('<HHBBB', screen[0], screen[1], 0x80, 0, 0)
          + b'\0\0\0\xff\xff\xff')  # Two colours: black, white.
  return head + b''.join(
      b'!\xf9\x04\x00\x00\x00\x00\x00' +  # A graphic control extension.
      b',' + struct.pack('<HHHHB', 0, 0, width, height, 0) +
      b'\x02\x02D\x01\x00' for width, height in frames) + b';'


def jpeg_claiming(width, height):
  """A real JPEG whose frame header (SOF0) is made to promise width x
  height: libjpeg sizes its output from it before reading any pixel."""
  contents = bytearray(tf.io.encode_jpeg(stroke()).numpy())
  sof = contents.index(b'\xff\xc0')
  contents[sof + 5:sof + 9] = struct.pack('>HH', height, width)
  return bytes(contents)


def bombs():
  """{file name: its contents}: one image bomb of each format, each far
  over config.MAX_IMAGE_PIXELS and at most 400 KB."""
  return {
      'bomb.png': png_bomb(20000, 20000),
      'bomb.jpg': jpeg_claiming(60000, 60000),
      'bomb.gif': gif((65535, 65535), [(65535, 65535)]),
      'bomb.bmp': bmp(30000, 30000, pixels=b'\0' * 1024),
  }


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
  assert images.decode(png, BUDGET).shape == (60, 50, 1)
  assert images.decode(jpeg, BUDGET).shape == (60, 50, 1)
  assert images.decode(str(tmp_path / 'a.bmp'), BUDGET).shape == (2, 3, 3)
  assert images.decode(str(tmp_path / 'a.gif'), BUDGET).shape == (1, 1, 3)


def test_headers_give_the_size_without_decoding():
  png = tf.io.encode_png(stroke(60, 50)).numpy()
  assert images.read_header('a', png) == images.Header('PNG', 50, 60)
  jpeg = tf.io.encode_jpeg(stroke(60, 50)).numpy()
  assert images.read_header('a', jpeg) == images.Header('JPEG', 50, 60)
  assert images.read_header('a', jpeg_claiming(60000, 500)) == images.Header(
      'JPEG', 60000, 500)
  assert images.read_header('a', bmp(3, 2)) == images.Header('BMP', 3, 2)
  assert images.read_header('a', bmp(3, -2)).height == 2  # Rows top-down.
  os2 = b'BM' + bytes(12) + struct.pack('<IHHHH', 12, 7, 5, 1, 24)
  assert images.read_header('a', os2) == images.Header('BMP', 7, 5)
  header = images.read_header('a', GIF_1X1)
  assert (header.format, header.width, header.height) == ('GIF', 1, 1)
  assert header.first_frame_end == len(GIF_1X1) - 1  # Before the trailer.
  # A frame larger than the screen is what a decoder allocates.
  header = images.read_header('a', gif((2, 2), [(3000, 10)]))
  assert (header.width, header.height) == (3000, 10)


@pytest.mark.parametrize('contents', [
    images.PNG_SIGNATURE + b'\0\0\0\x0dIHDR\0\0',
    images.PNG_SIGNATURE + b'\0\0\0\x0dIDAT' + bytes(8),
    b'GIF89a\x10\x00',
    b'GIF89a' + struct.pack('<HHBBB', 2, 2, 0, 0, 0) + b';',  # No image.
    b'BM' + bytes(10),
    b'\xff\xd8\xff\xe0\x00\x10JFIF',
])
def test_a_cut_or_empty_header_is_damaged(tmp_path, contents):
  path = tmp_path / 'cut'
  path.write_bytes(contents)
  with pytest.raises(images.ImageError,
                     match=r'cut: a damaged or truncated image \(its '
                     r'(PNG|GIF|BMP|JPEG) header is incomplete\)$'):
    images.decode(str(path), BUDGET)


def test_webp_is_not_read_though_tensorflow_could(tmp_path):
  path = tmp_path / 'a.webp'
  path.write_bytes(b'RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f' + bytes(13))
  with pytest.raises(images.ImageError, match='a.webp: not an image: PNG, '
                     'JPEG, GIF or BMP expected'):
    images.decode(str(path), BUDGET)


@pytest.mark.slow
@pytest.mark.parametrize('name', sorted(bombs()))
def test_a_bomb_is_refused_by_its_header_naming_size_and_budget(tmp_path,
                                                                name):
  path = tmp_path / name
  path.write_bytes(bombs()[name])
  with pytest.raises(images.ImageTooLargeError) as e:
    images.decode(str(path), BUDGET)
  assert re.fullmatch(
      r'%s: a (PNG|JPEG|GIF|BMP) of \d+x\d+ pixels \([\d.]+ megapixels\), '
      r'more than --max_pixels=89478485 \(89\.5 megapixels\); not decoded'
      % re.escape(str(path)), str(e.value)), str(e.value)


def test_the_budget_is_width_times_height(tmp_path):
  png = write(tmp_path / 'a.png', stroke(60, 50))
  assert images.decode(png, 3000).shape == (60, 50, 1)
  with pytest.raises(images.ImageTooLargeError,
                     match=r'a PNG of 50x60 pixels \(0\.0 megapixels\), '
                     r'more than --max_pixels=2999'):
    images.decode(png, 2999)


def test_only_a_gifs_first_frame_is_decoded(tmp_path):
  # Its second frame promises 60,000 x 60,000 pixels and holds one: a
  # decoder that reads every frame fails on it (and would allocate 3.6 GB).
  path = tmp_path / 'animated.gif'
  path.write_bytes(gif((2, 2), [(1, 1), (60000, 60000)]))
  assert images.decode(str(path), BUDGET).shape == (1, 1, 3)


def test_shrink_is_the_mean_of_each_block():
  image = np.random.default_rng(0).integers(0, 256, (95, 101, 3), np.uint8)
  want = image[:93, :99].reshape(31, 3, 33, 3, 3).mean(axis=(1, 3))
  got = images.shrink(image, 3)
  assert got.dtype == np.uint8 and got.shape == (31, 33, 3)
  assert np.abs(got - want).max() <= 0.5
  assert images.shrink(image, 1) is image


def test_a_large_image_is_shrunk_as_it_is_decoded(tmp_path):
  side = 2 * images.WORKING_SIDE + 100
  ink = np.zeros((side, 300, 1), np.uint8)
  ink[100:-100, 100:200] = 255
  png = write(tmp_path / 'tall.png', ink)
  jpeg = write(tmp_path / 'tall.jpg', ink, 'jpeg')
  shrunk = images.decode(png, BUDGET)
  assert shrunk.shape == (side // 2, 150, 1)
  np.testing.assert_array_equal(shrunk, images.shrink(ink, 2))
  # libjpeg itself decodes at half the size.
  assert images.decode(jpeg, BUDGET).shape == (side // 2, 150, 1)
  # And the prepared input is as the full-size image's.
  for preparation in (MNIST, FASHION):
    np.testing.assert_allclose(images.prepare(shrunk, preparation),
                               images.prepare(ink, preparation), atol=0.02)


@pytest.mark.parametrize('name, contents, message', [
    ('empty.png', b'', 'the file is empty'),
    ('notes.png', b'not an image at all', 'not an image'),
    ('zero.bmp', bmp(0, 4), 'the image has no pixels'),
])
def test_bad_files_are_one_error_naming_the_file(tmp_path, name, contents,
                                                 message):
  (tmp_path / name).write_bytes(contents)
  with pytest.raises(UserError) as e:
    images.decode(str(tmp_path / name), BUDGET)
  assert str(e.value).startswith(str(tmp_path / name) + ': ' + message)
  assert '\n' not in str(e.value)


def test_a_truncated_file_is_named_as_damaged(tmp_path):
  whole = write(tmp_path / 'whole.png', stroke())
  (tmp_path / 'cut.png').write_bytes(open(whole, 'rb').read()[:100])
  with pytest.raises(UserError, match='cut.png: a damaged or truncated image'):
    images.decode(str(tmp_path / 'cut.png'), BUDGET)
  with pytest.raises(UserError, match='missing.png: cannot read'):
    images.decode(str(tmp_path / 'missing.png'), BUDGET)
