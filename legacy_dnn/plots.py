"""PNG pictures, drawn with matplotlib's object API and the Agg canvas.

No pyplot: nothing here needs a display or touches global figure state.
"""

import io

import numpy as np
from matplotlib.figure import Figure

DPI = 100
GRID_SIDE = 5  # Test images shown by predictions(): GRID_SIDE ** 2.


class Picture(Figure):
  """A Figure that shows itself in a notebook: Jupyter calls _repr_png_,
  with no pyplot and no %matplotlib needed."""

  def _repr_png_(self):
    buffer = io.BytesIO()
    self.savefig(buffer, format='png', dpi=DPI)
    return buffer.getvalue()


def _image(pixels):
  """A [784] or [3072] row as imshow takes it: 28x28 grey or 32x32x3."""
  pixels = np.asarray(pixels)
  side = int(round(np.sqrt(pixels.size)))
  if side * side == pixels.size:
    return pixels.reshape(side, side)
  side = int(round(np.sqrt(pixels.size // 3)))
  return pixels.reshape(side, side, 3)


def predictions_figure(images, labels, predicted, confusion, class_names,
                       title=None):
  """Test images with labels and predictions beside a confusion matrix.

  Args:
    images: float32 [n, 784] (or CIFAR-10's [n, 3072]); the first
      GRID_SIDE ** 2 at most are shown.
    labels, predicted: int [n].
    confusion: int [10, 10], rows labels, columns predictions.
    class_names: 10 names.
    title: above the images, if given.

  Returns:
    A Picture (a matplotlib Figure).
  """
  fig = Picture(figsize=(14, 7), dpi=DPI)
  grid = fig.add_gridspec(GRID_SIDE, 2 * GRID_SIDE, wspace=0.3, hspace=0.5)
  if title:
    fig.suptitle(title)
  for k in range(min(len(images), GRID_SIDE * GRID_SIDE)):
    ax = fig.add_subplot(grid[k // GRID_SIDE, k % GRID_SIDE])
    ax.imshow(_image(images[k]), cmap='gray_r', vmin=0, vmax=1)
    wrong = labels[k] != predicted[k]
    ax.set_title('%s%s\nas %s' % ('✗ ' if wrong else '', class_names[labels[k]],
                                  class_names[predicted[k]]),
                 fontsize=7, color='red' if wrong else 'black')
    ax.set_xticks([])
    ax.set_yticks([])
    if wrong:
      for spine in ax.spines.values():
        spine.set_color('red')
        spine.set_linewidth(2)
  ax = fig.add_subplot(grid[:, GRID_SIDE + 1:])
  ax.imshow(confusion, cmap='Blues')
  for (i, j), count in np.ndenumerate(confusion):
    ax.text(j, i, str(count), ha='center', va='center', fontsize=7,
            color='white' if count > confusion.max() / 2 else 'black')
  ticks = range(len(class_names))
  ax.set_xticks(ticks, class_names, rotation=90, fontsize=8)
  ax.set_yticks(ticks, class_names, fontsize=8)
  ax.set_xlabel('prediction')
  ax.set_ylabel('label')
  ax.set_title('Confusion matrix, %d test images' % confusion.sum())
  return fig


def predictions(path, images, labels, predicted, confusion, class_names):
  """Writes predictions_figure() of GRID_SIDE ** 2 images to the PNG path;
  returns its (width, height) in pixels."""
  fig = predictions_figure(images, labels, predicted, confusion, class_names)
  fig.savefig(path, dpi=DPI)
  return fig.canvas.get_width_height()


def history(epochs):
  """A run's learning curves from legacy_dnn.train's Result.history: the
  training cost and validation loss, and the validation metric, per epoch.

  Returns:
    A Picture (a matplotlib Figure).
  """
  fig = Picture(figsize=(11, 3.5), dpi=DPI, layout='constrained')
  loss_ax, metric_ax = fig.subplots(1, 2)
  steps = [e.epoch for e in epochs]
  marker = '.' if len(steps) < 30 else None
  loss_ax.plot(steps, [e.cost for e in epochs], label='train (cost)',
               marker=marker)
  loss_ax.plot(steps, [e.validation_loss for e in epochs], label='validation',
               marker=marker)
  metric = epochs[0].metric if epochs else 'accuracy'
  metric_ax.plot(steps, [e.validation_metric for e in epochs],
                 label='validation', marker=marker, color='C1')
  best = [e for e in epochs if e.best]
  if best:
    metric_ax.axvline(best[-1].epoch, color='grey', linestyle=':',
                      label='best (epoch %d)' % best[-1].epoch)
  for ax, tag in ((loss_ax, 'loss'), (metric_ax, metric)):
    ax.set_title(tag, fontsize=10)
    ax.set_xlabel('epoch')
    ax.grid(alpha=0.3)
    ax.legend()
  return fig


def learning_curves(path, curves):
  """Writes train and validation loss and accuracy per epoch, a row per run.

  Args:
    path: the PNG to write.
    curves: {run name: {split: {tag: (steps, values)}}}, as
      summaries.read_curves() returns for each run.

  Returns:
    The (width, height) of the picture in pixels.
  """
  fig = Figure(figsize=(12, 3.5 * len(curves)), dpi=DPI,
               layout='constrained')
  axes = fig.subplots(len(curves), 2, squeeze=False)
  for row, (name, splits) in zip(axes, sorted(curves.items())):
    for ax, tag in zip(row, ('loss', 'accuracy')):
      for split, series in sorted(splits.items()):
        if tag in series:
          steps, values = series[tag]
          ax.plot(steps, values, label=split, marker='.' if len(steps) < 30
                  else None)
      ax.set_title('%s: %s' % (name, tag), fontsize=10)
      ax.set_xlabel('epoch')
      ax.grid(alpha=0.3)
      ax.legend()
  fig.savefig(path, dpi=DPI)
  return fig.canvas.get_width_height()


def inputs(path, shown):
  """Writes each image a user gave beside the image the network saw.

  Args:
    path: the PNG to write.
    shown: (file name, original uint8 [h, w, c], prepared float32 [side,
      side, channels] in [0, 1], predicted class name) per image.

  Returns:
    The (width, height) of the picture in pixels.
  """
  fig = Figure(figsize=(4.4, 2.2 * len(shown)), dpi=DPI)
  for k, (name, original, seen, predicted) in enumerate(shown):
    left = fig.add_subplot(len(shown), 2, 2 * k + 1)
    if original.shape[-1] in (1, 2):  # Grey, maybe with alpha.
      left.imshow(original[..., 0], cmap='gray', vmin=0, vmax=255)
    else:
      left.imshow(original[..., :3])
    left.set_title(name, fontsize=8)
    right = fig.add_subplot(len(shown), 2, 2 * k + 2)
    if seen.shape[-1] == 1:
      right.imshow(seen[..., 0], cmap='gray', vmin=0, vmax=1)
    else:
      right.imshow(seen)
    right.set_title('seen as %s' % predicted, fontsize=8)
    for ax in (left, right):
      ax.set_xticks([])
      ax.set_yticks([])
  fig.tight_layout()
  fig.savefig(path, dpi=DPI)
  return fig.canvas.get_width_height()


def regression(path, labels, predicted, title, unit=''):
  """Writes regression_figure() to the PNG path; returns its (width,
  height) in pixels."""
  fig = regression_figure(labels, predicted, title, unit)
  fig.savefig(path, dpi=DPI)
  return fig.canvas.get_width_height()


def regression_figure(labels, predicted, title, unit=''):
  """Predicted against actual targets, with the diagonal a perfect model
  would lie on: a Picture."""
  fig = Picture(figsize=(7, 7), dpi=DPI)
  ax = fig.add_subplot()
  ax.scatter(labels, predicted, s=4, alpha=0.3, edgecolors='none')
  low = float(min(np.min(labels), np.min(predicted)))
  high = float(max(np.max(labels), np.max(predicted)))
  ax.plot([low, high], [low, high], color='red', linewidth=1,
          label='prediction = actual')
  suffix = ' (%s)' % unit if unit else ''
  ax.set_xlabel('actual' + suffix)
  ax.set_ylabel('predicted' + suffix)
  ax.set_title(title)
  ax.legend(loc='upper left')
  return fig


def cosine_fit(path, t, y, fitted, n_train, title):
  """Writes cosine_fit_figure() to the PNG path; returns its (width,
  height) in pixels."""
  fig = cosine_fit_figure(t, y, fitted, n_train, title)
  fig.savefig(path, dpi=DPI)
  return fig.canvas.get_width_height()


def cosine_fit_figure(t, y, fitted, n_train, title):
  """The exam's picture: the series, the fitted curve over t, and the
  boundary between the training and the validation points; a Picture."""
  fig = Picture(figsize=(10, 5), dpi=DPI)
  ax = fig.add_subplot()
  ax.plot(t[:n_train], y[:n_train], '.', markersize=3, color='tab:blue',
          label='training points')
  ax.plot(t[n_train:], y[n_train:], '.', markersize=3, color='tab:gray',
          label='validation points')
  ax.plot(t, fitted, color='tab:red', linewidth=2, label='fit')
  ax.axvline(t[n_train], color='black', linestyle='--', linewidth=1)
  ax.text(t[n_train], ax.get_ylim()[1], ' validation ->', va='top')
  ax.set_xlabel('t')
  ax.set_ylabel('y')
  ax.set_title(title)
  ax.legend(loc='lower left')
  return fig
