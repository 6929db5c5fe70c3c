"""A user's own image files as a network's input, prepared as the data was.

MNIST's digits were prepared from scanned forms: greyscale, white ink on
black, the ink scaled to fit a 20x20 box with its aspect ratio kept, and
placed in 28x28 so that its centre of mass is at the centre. Fashion-MNIST's
product photos: trimmed, the longer side scaled to 28, and centred. CIFAR-10's
photos are 32x32 colour, the whole picture. prepare() does the same to any
PNG, JPEG, GIF or BMP, so a digit drawn in a paint program, or photographed
on paper, looks to the network like the images it learned from.

Images are decoded by TensorFlow's own tf.io.decode_image: no imaging
library besides.
"""

import dataclasses
import re
from typing import Optional

import numpy as np
import tensorflow as tf

from legacy_dnn.errors import UserError

# Below this much contrast (of full scale) an image is taken as blank.
MIN_CONTRAST = 0.1

MASS, BOX = 'mass', 'box'


class ImageError(UserError):
  """A file that cannot be read as an image, or has nothing to read."""


class BlankImageError(ImageError):
  """An image of one flat colour: no ink to classify."""


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


def decode(path):
  """The pixels of an image file: uint8 [height, width, channels].

  The channels are 1 (grey), 2 (grey and alpha), 3 (RGB) or 4 (RGBA); an
  animated GIF gives its first frame.

  Raises:
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
  try:
    image = tf.io.decode_image(contents, expand_animations=False).numpy()
  except (tf.errors.InvalidArgumentError, tf.errors.UnknownError) as e:
    message = e.message.split(' [Op:')[0].split('}} ')[-1]
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
  return image


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
