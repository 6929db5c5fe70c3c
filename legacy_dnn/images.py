"""A user's own image files as a network's input, prepared as the data was.

MNIST's digits were prepared from scanned forms: greyscale, white ink on
black, the ink scaled to fit a 20x20 box with its aspect ratio kept, and
placed in 28x28 so that its centre of mass is at the centre. Fashion-MNIST's
product photos: trimmed, the longer side scaled to 28, and centred. CIFAR-10's
photos are 32x32 colour, the whole picture. prepare() does the same to any
PNG, JPEG, GIF or BMP, so a digit drawn in a paint program, or photographed
on paper, looks to the network like the images it learned from.

Images are decoded by TensorFlow's own tf.io.decode_image: no imaging
library besides. A file's header is read first: a few hundred kilobytes of
PNG can promise gigabytes of pixels, so a file whose header promises more
than a budget of pixels is refused before anything is decoded.
"""

import dataclasses
import re
import struct
from typing import Optional

import numpy as np
import tensorflow as tf

from legacy_dnn import errors
from legacy_dnn.errors import UserError

# Below this much contrast (of full scale) an image is taken as blank.
MIN_CONTRAST = 0.1

MASS, BOX = 'mass', 'box'

# A larger image is shrunk to about this many pixels on its longer side as it
# is decoded, by whole factors: the network sees 28 or 32, and a float copy
# of 89 megapixels would cost gigabytes.
WORKING_SIDE = 1024
# Strips of this many output rows are averaged at a time.
_STRIP_ROWS = 64
# libjpeg decodes at these fractions of the full size for almost nothing.
_JPEG_RATIOS = (8, 4, 2)

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
JPEG_SOI = b'\xff\xd8\xff'
GIF_SIGNATURES = (b'GIF87a', b'GIF89a')
BMP_SIGNATURE = b'BM'
_GIF_EXTENSION, _GIF_IMAGE, _GIF_TRAILER = 0x21, 0x2c, 0x3b


class ImageError(UserError):
  """A file that cannot be read as an image, or has nothing to read."""


class BlankImageError(ImageError):
  """An image of one flat colour: no ink to classify."""


class ImageTooLargeError(ImageError):
  """An image whose header promises more pixels than the budget."""


@dataclasses.dataclass(frozen=True)
class Header:
  """What an image file's header says, read without decoding its pixels."""
  format: str  # 'PNG', 'JPEG', 'GIF' or 'BMP'.
  width: int
  height: int
  # A GIF's first frame ends here (the offset after its image data); the
  # frames after it are never decoded.
  first_frame_end: Optional[int] = None

  @property
  def pixels(self):
    return self.width * self.height


@dataclasses.dataclass(frozen=True)
class Preparation:
  """How a dataset's images were made from their originals."""
  side: int  # Of the square image the network takes.
  channels: int  # 1: greyscale, ink bright on black; 3: colour as it is.
  # The ink's longer side is scaled to this; None scales the whole picture
  # to side x side (CIFAR-10).
  box: Optional[int] = None
  centre: str = BOX  # MASS: by the ink's centre of mass; BOX: its middle.
  # Scale the brightest ink to 1, as a pen's strokes are in MNIST; a dark
  # garment in Fashion-MNIST stays dim.
  stretch: bool = False
  # A pixel is ink, for cropping, when it is this much (of the image's
  # contrast) brighter than the background: above the noise of a JPEG or of
  # paper in a photo.
  ink_threshold: float = 0.2


PREPARATIONS = {
    'mnist': Preparation(side=28, channels=1, box=20, centre=MASS,
                         stretch=True),
    'fashion_mnist': Preparation(side=28, channels=1, box=28, centre=BOX,
                                 ink_threshold=0.1),
    'cifar10': Preparation(side=32, channels=3),
}

# What libjpeg itself prints to stderr about a damaged file, besides the
# error that TensorFlow raises: for a caller to hide (cli.without_lines).
LIBJPEG_CHATTER = re.compile(r'Improper call to JPEG library|Premature end of '
                             r'JPEG file|Corrupt JPEG data')

# What TensorFlow says of an image with no rows or columns (a BMP can have
# them).
_NO_PIXELS = re.compile(r'(Width|Height) must be positive|zero-sized|'
                        r'Invalid IHDR')


class _Truncated(Exception):
  """A header that ends before what it describes."""


def _unpack(fmt, contents, offset):
  try:
    return struct.unpack_from(fmt, contents, offset)
  except struct.error:
    raise _Truncated() from None


def _png_header(contents):
  # The IHDR chunk comes first: length 13, type, width, height (big-endian).
  length, kind, width, height = _unpack('>I4sII', contents, 8)
  if length != 13 or kind != b'IHDR':
    raise _Truncated()
  return Header('PNG', width, height)


def _jpeg_header(contents):
  try:
    height, width, _ = tf.io.extract_jpeg_shape(contents).numpy()
  except (tf.errors.InvalidArgumentError, tf.errors.UnknownError):
    raise _Truncated() from None
  return Header('JPEG', int(width), int(height))


def _gif_sub_blocks_end(contents, offset):
  """The offset after a chain of GIF data sub-blocks starting at offset."""
  while True:
    (size,) = _unpack('B', contents, offset)
    offset += 1 + size
    if size == 0:
      return offset


def _gif_colour_table_size(packed):
  """The bytes of the colour table that a descriptor's packed byte says
  follows it: 3 x 2^(size + 1) if its top bit is set, else none."""
  return 3 << ((packed & 7) + 1) if packed & 0x80 else 0


def _gif_header(contents):
  """The logical screen, and where the first frame's data ends.

  The blocks are walked to the first image: a GIF decoder allocates every
  frame's raster before it returns the first, so only that one is kept.
  """
  width, height, packed = _unpack('<HHB', contents, 6)
  offset = 13 + _gif_colour_table_size(packed)
  while True:
    (block,) = _unpack('B', contents, offset)
    if block == _GIF_EXTENSION:
      offset = _gif_sub_blocks_end(contents, offset + 2)
    elif block == _GIF_IMAGE:
      _, _, frame_width, frame_height, packed = _unpack('<HHHHB', contents,
                                                        offset + 1)
      offset += 10 + _gif_colour_table_size(packed)
      # The LZW code size, then the image's data.
      end = _gif_sub_blocks_end(contents, offset + 1)
      # A frame larger than the screen is allocated at its own size.
      return Header('GIF', max(width, frame_width),
                    max(height, frame_height), first_frame_end=end)
    else:  # The trailer, or a block no GIF has: no image in the file.
      raise _Truncated()


def _bmp_header(contents):
  (info_size,) = _unpack('<I', contents, 14)
  if info_size == 12:  # OS/2's BITMAPCOREHEADER: 16-bit sizes.
    width, height = _unpack('<HH', contents, 18)
  else:  # BITMAPINFOHEADER and its successors; rows top-down if negative.
    width, height = _unpack('<ii', contents, 18)
  return Header('BMP', abs(width), abs(height))


_HEADER_READERS = ((PNG_SIGNATURE, 'PNG', _png_header),
                   (JPEG_SOI, 'JPEG', _jpeg_header),
                   (GIF_SIGNATURES[0], 'GIF', _gif_header),
                   (GIF_SIGNATURES[1], 'GIF', _gif_header),
                   (BMP_SIGNATURE, 'BMP', _bmp_header))


def read_header(path, contents):
  """The Header of an image file's contents, read without decoding it.

  Raises:
    ImageError: naming path, if contents are not a PNG, JPEG, GIF or BMP
      (TensorFlow also decodes WebP and JPEG XL, which are not read here),
      or its header is cut short.
  """
  for signature, name, reader in _HEADER_READERS:
    if contents.startswith(signature):
      try:
        return reader(contents)
      except _Truncated:
        raise ImageError('%s: a damaged or truncated image (its %s header '
                         'is incomplete)' % (path, name)) from None
  raise ImageError('%s: not an image: PNG, JPEG, GIF or BMP expected' % path)


def decode(path, max_pixels):
  """The pixels of an image file: uint8 [height, width, channels], read-only.

  The channels are 1 (grey), 2 (grey and alpha), 3 (RGB) or 4 (RGBA); an
  animated GIF gives its first frame, and only that frame is decoded.

  Args:
    path: the file.
    max_pixels: the most pixels (width x height) a file may promise
      (predict.py's --max_pixels, by default config.MAX_IMAGE_PIXELS).

  Raises:
    ImageTooLargeError: its header promises more than max_pixels pixels;
      nothing is decoded.
    ImageError: the file is unreadable, empty, not an image, truncated, or
      has no pixels; the message names the file.
  """
  try:
    with open(path, 'rb') as f:
      contents = f.read()
  except OSError as e:
    raise ImageError('%s: cannot read: %s' % (path, e.strerror)) from None
  if not contents:
    raise ImageError('%s: the file is empty' % path)
  header = read_header(path, contents)
  if header.pixels > max_pixels:
    raise ImageTooLargeError(
        '%s: a %s of %dx%d pixels (%.1f megapixels), more than '
        '--max_pixels=%d (%.1f megapixels); not decoded'
        % (path, header.format, header.width, header.height,
           header.pixels / 1e6, max_pixels, max_pixels / 1e6))
  if header.first_frame_end is not None:
    contents = contents[:header.first_frame_end] + bytes([_GIF_TRAILER])
  longer = max(header.width, header.height)
  try:
    if header.format == 'JPEG':
      ratio = next((r for r in _JPEG_RATIOS if longer // r >= WORKING_SIDE), 1)
      decoded = tf.io.decode_jpeg(contents, ratio=ratio)
    else:
      decoded = tf.io.decode_image(contents, expand_animations=False)
    # A read-only view of the tensor's own buffer: .numpy() would copy it.
    image = np.asarray(decoded)
  except (tf.errors.InvalidArgumentError, tf.errors.UnknownError) as e:
    message = errors.tensorflow_message(e)
    if _NO_PIXELS.search(message):
      raise ImageError('%s: the image has no pixels (%s)'
                       % (path, message)) from None
    if message.startswith('Unknown image file format'):
      raise ImageError('%s: not an image: PNG, JPEG, GIF or BMP expected'
                       % path) from None
    raise ImageError('%s: a damaged or truncated image (%s)'
                     % (path, message)) from None
  if image.size == 0:
    raise ImageError('%s: the image has no pixels (%dx%d)'
                     % (path, image.shape[1], image.shape[0]))
  return shrink(image, max(image.shape[:2]) // WORKING_SIDE)


def shrink(image, factor):
  """uint8 [h // factor, w // factor, c]: each factor x factor block's mean.

  The rows and columns past the last whole block are dropped. Strips are
  averaged one at a time, so no float copy of the whole image is made.
  """
  if factor <= 1:
    return image
  h, w, channels = image.shape
  rows, cols = h // factor, w // factor
  out = np.empty((rows, cols, channels), np.uint8)
  for top in range(0, rows, _STRIP_ROWS):
    bottom = min(top + _STRIP_ROWS, rows)
    strip = image[top * factor:bottom * factor, :cols * factor].reshape(
        bottom - top, factor, cols, factor, channels)
    # Whole rows added in turn, then whole columns: contiguous adds, where
    # one sum over both axes would step through memory a byte at a time.
    by_rows = strip[:, 0].astype(np.uint32)
    for i in range(1, factor):
      by_rows += strip[:, i]
    sums = by_rows[:, :, 0].copy()
    for i in range(1, factor):
      sums += by_rows[:, :, i]
    out[top:bottom] = (sums + factor * factor // 2) // (factor * factor)
  return out


def _on_white(image):
  """float32 [h, w, 1 or 3] in [0, 1]: the image laid over white paper.

  A drawing saved with a transparent background keeps its strokes in the
  alpha channel; over white they read as ink on paper.
  """
  pixels = image.astype(np.float32) / 255
  if image.shape[-1] in (2, 4):
    colour, alpha = pixels[..., :-1], pixels[..., -1:]
    pixels = colour * alpha + (1 - alpha)
  return pixels


def greyscale(image):
  """float32 [h, w] in [0, 1] of a decoded image, ITU-R 601 luma as
  tf.image.rgb_to_grayscale weighs it."""
  pixels = _on_white(image)
  if pixels.shape[-1] == 3:
    pixels = pixels @ np.array([0.2989, 0.5870, 0.1140], np.float32)
    return pixels
  return pixels[..., 0]


def _ink(grey, stretch):
  """Bright ink on a black background, [h, w] in [0, 1], and its contrast.

  The background is the median of the image's border; when it is light the
  image is inverted (MNIST is white on black). Then the background is
  subtracted and, with stretch, the brightest ink scaled to 1.

  Raises:
    BlankImageError: the image has (almost) no contrast.
  """
  border = np.concatenate([grey[0], grey[-1], grey[:, 0], grey[:, -1]])
  background = float(np.median(border))
  if background > 0.5:
    grey, background = 1 - grey, 1 - background
  contrast = float(grey.max()) - background
  if contrast < MIN_CONTRAST:
    raise BlankImageError('blank: one flat colour, nothing to read')
  return (np.clip((grey - background) / (contrast if stretch else 1), 0, 1),
          1 if stretch else contrast)


def _resize(pixels, height, width):
  """pixels [h, w, c] resized with antialiasing, as MNIST's were."""
  return tf.image.resize(pixels, [height, width], antialias=True).numpy()


def _place(ink, side, centre):
  """ink [h, w] on a black side x side canvas, centred by mass or by box."""
  h, w = ink.shape
  if centre == MASS:
    total = ink.sum()
    rows, cols = np.indices(ink.shape)
    top = int(round((side - 1) / 2 - (rows * ink).sum() / total))
    left = int(round((side - 1) / 2 - (cols * ink).sum() / total))
  else:
    top, left = (side - h) // 2, (side - w) // 2
  top, left = min(max(top, 0), side - h), min(max(left, 0), side - w)
  canvas = np.zeros((side, side), np.float32)
  canvas[top:top + h, left:left + w] = ink
  return canvas


def prepare(image, preparation):
  """A decoded image as the network's input.

  Args:
    image: uint8 [h, w, channels], as decode() returns it.
    preparation: a Preparation.

  Returns:
    float32 [side, side, channels] in [0, 1].

  Raises:
    BlankImageError: a greyscale preparation found no ink.
  """
  side = preparation.side
  if preparation.box is None:
    pixels = _on_white(image)
    if pixels.shape[-1] != preparation.channels:
      pixels = np.repeat(pixels, preparation.channels, axis=-1)
    return np.clip(_resize(pixels, side, side), 0, 1)
  ink, contrast = _ink(greyscale(image), preparation.stretch)
  inked = ink > preparation.ink_threshold * contrast
  rows = np.flatnonzero(inked.any(axis=1))
  cols = np.flatnonzero(inked.any(axis=0))
  ink = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
  h, w = ink.shape
  scale = preparation.box / max(h, w)
  ink = _resize(ink[..., None], max(1, round(h * scale)),
                max(1, round(w * scale)))[..., 0]
  return np.clip(_place(ink, side, preparation.centre), 0, 1)[..., None]
