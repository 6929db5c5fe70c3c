"""scripts/predict.py on images rendered from real test images, and bad
files."""

import os
import re

import numpy as np
import pytest
import tensorflow as tf

from conftest import error_lines, idx_bytes, run_script, run_script_measured
from legacy_dnn import checkpoints
from legacy_dnn import config
from legacy_dnn import data
from legacy_dnn import evaluation
from legacy_dnn import savedmodel
from legacy_dnn import images
from legacy_dnn import training
from test_images import bmp, bombs

# The tests that start processes, clusters or tensorboard, or train for
# long are marked slow (setup.cfg); the others are in the quick loop.

FASHION = data.DATASETS['fashion_mnist']
RENDERED = 60  # Test images rendered per dataset.
LINE = re.compile(r'^(.+): (.+) \(probability (0\.\d{4}|1\.0000)\); '
                  r'next: (.+) \((0\.\d{4}|1\.0000)\)$')


def fashion_dir():
  folder = FASHION.system_dirs[0]
  assert os.path.isdir(folder), ('%s is missing: %s'
                                 % (folder, FASHION.install_hint))
  return folder


def mnist_layout_dir(folder, n_train=1500, n_test=200):
  """Real Fashion-MNIST images prepared the MNIST way (ink in 20x20, centred
  by mass), as IDX files that --dataset=mnist reads."""
  splits = data.load(FASHION, fashion_dir(), validation_size=0)
  os.makedirs(folder)
  for split, (X, y), n in (('train', splits.train, n_train),
                           ('test', splits.test, n_test)):
    pixels = (X[:n].reshape(-1, 28, 28, 1) * 255).round().astype(np.uint8)
    prepared = np.stack([images.prepare(p, images.PREPARATIONS['mnist'])
                         for p in pixels])
    images_name, labels_name = data.FILES[split]
    with open(os.path.join(folder, images_name), 'wb') as f:
      f.write(idx_bytes((prepared[..., 0] * 255).round(),
                        data.IDX_IMAGES_MAGIC))
    with open(os.path.join(folder, labels_name), 'wb') as f:
      f.write(idx_bytes(y[:n], data.IDX_LABELS_MAGIC))
  return folder


def trained_model(dataset, root):
  """(TrainConfig, test images, evaluate.py's classes of them) of a homl
  network trained on real images laid out as dataset's are."""
  if dataset == 'mnist':
    data_dir, epochs, limit = mnist_layout_dir(str(root / 'data')), 20, None
  else:
    data_dir, epochs, limit = fashion_dir(), 2, 6000
  cfg = config.for_variant(
      'homl', dataset=dataset, data_dir=data_dir, epochs=epochs,
      hidden_units=(100,), validation_size=100, train_limit=limit,
      model_dir=str(root / 'model'), logdir=str(root / 'logs'))
  training.train(cfg)
  test_images = data.load(data.DATASETS[cfg.dataset], data_dir,
                          validation_size=0).test[0][:RENDERED]
  saved = evaluation.restore(cfg, checkpoints.best_model(cfg.model_dir))
  try:
    classes = saved.predict(test_images).argmax(1)
  finally:
    saved.close()
  return cfg, test_images, classes


@pytest.fixture(scope='module')
def mnist_model(tmp_path_factory):
  return trained_model('mnist', tmp_path_factory.mktemp('mnist'))


@pytest.fixture(scope='module')
def fashion_model(tmp_path_factory):
  return trained_model('fashion_mnist', tmp_path_factory.mktemp('fashion'))


@pytest.fixture(params=['mnist_model', 'fashion_model'])
def model(request):
  return request.getfixturevalue(request.param)


def render(image, k, folder):
  """A 28x28 test image as a user's file: enlarged to another size, some
  dark on light, off-centre on a larger canvas, some in colour, PNG or
  JPEG."""
  side = 28 * (2 + k % 3) + 7 * (k % 2)
  big = tf.image.resize(image.reshape(28, 28, 1), [side, side],
                        antialias=True).numpy()
  big = (np.clip(big, 0, 1) * 255).round().astype(np.uint8)
  light = k % 2 == 1
  canvas = np.full((big.shape[0] + 40, big.shape[1] + 30, 1),
                   255 if light else 0, np.uint8)
  top, left = 5 + 3 * (k % 5), 25 - 4 * (k % 4)
  canvas[top:top + big.shape[0], left:left + big.shape[1]] = (
      255 - big if light else big)
  if k % 3 == 0:  # Ink and paper in colour.
    canvas = np.concatenate([canvas, canvas // 2 + 60, canvas], -1)
  if k % 4 == 3:
    path = os.path.join(folder, 'test%02d.jpg' % k)
    encoded = tf.io.encode_jpeg(canvas, quality=95)
  else:
    path = os.path.join(folder, 'test%02d.png' % k)
    encoded = tf.io.encode_png(canvas)
  with open(path, 'wb') as f:
    f.write(encoded.numpy())
  return path


def predicted(stdout, class_names):
  """{path: class index} from predict.py's lines."""
  result = {}
  for line in stdout.splitlines():
    match = LINE.match(line)
    if match:
      result[match.group(1)] = class_names.index(match.group(2))
  return result


@pytest.mark.slow
def test_rendered_test_images_are_read_as_evaluate_reads_the_originals(
    model, tmp_path):
  cfg, test_images, classes = model
  paths = [render(image, k, str(tmp_path)) for k, image in
           enumerate(test_images)]
  shown = str(tmp_path / 'seen.png')
  result = run_script('predict.py', '--model_dir=' + cfg.model_dir,
                      '--show_input=' + shown, *paths)
  assert result.returncode == 0, result.stderr
  assert error_lines(result.stderr) == []
  names = data.DATASETS[cfg.dataset].class_names
  got = predicted(result.stdout, names)
  assert list(got) == paths  # One line per file, in order.
  agree = sum(got[p] == c for p, c in zip(paths, classes))
  assert agree >= 0.9 * len(paths), (agree, result.stdout)
  assert tf.io.decode_png(open(shown, 'rb').read()).shape[0] > 28 * len(paths)


@pytest.mark.slow
def test_an_export_predicts_as_its_model_dir(model, tmp_path):
  cfg, test_images, _ = model
  paths = [render(image, k, str(tmp_path)) for k, image in
           enumerate(test_images[:8])]
  version = savedmodel.export(cfg, checkpoints.best_model(cfg.model_dir),
                          str(tmp_path / 'serving'))
  from_dir = run_script('predict.py', '--model_dir=' + cfg.model_dir, *paths)
  from_export = run_script('predict.py', '--saved_model=' +
                           str(tmp_path / 'serving'), *paths)
  assert from_export.returncode == 0, from_export.stderr
  lines = lambda out: [l for l in out.splitlines() if LINE.match(l)]
  assert len(lines(from_dir.stdout)) == len(paths)
  assert lines(from_export.stdout) == lines(from_dir.stdout)
  assert 'Model: %s (%s)' % (version, cfg.dataset) in from_export.stdout


def write_bad_files(folder):
  """Writes every kind of bad file, and one good one.

  Returns:
    ({bad file: the start of its one error line}, the good file).
  """
  ink = np.pad(np.full((10, 4, 1), 255, np.uint8), ((8, 8), (8, 8), (0, 0)))
  good = tf.io.encode_png(ink).numpy()
  files = {
      'empty.png': (b'', 'the file is empty'),
      'notes.png': (b'a shopping list', 'not an image'),
      'cut.png': (good[:60], 'a damaged or truncated image'),
      'cut.jpg': (tf.io.encode_jpeg(ink).numpy()[:200],
                  'a damaged or truncated image'),
      'zero.bmp': (bmp(0, 5), 'the image has no pixels'),
      'blank.png': (tf.io.encode_png(np.full((20, 20, 3), 230, np.uint8)
                                     ).numpy(), 'blank'),
      'good.png': (good, None),
  }
  for name, (contents, _) in files.items():
    with open(os.path.join(folder, name), 'wb') as f:
      f.write(contents)
  return ({os.path.join(folder, name): message
           for name, (_, message) in files.items() if message},
          os.path.join(folder, 'good.png'))


@pytest.mark.slow
def test_each_bad_file_gets_one_line_and_the_others_are_predicted(
    mnist_model, tmp_path):
  cfg = mnist_model[0]
  expected, good = write_bad_files(str(tmp_path))
  bad = list(expected)
  result = run_script('predict.py', '--model_dir=' + cfg.model_dir,
                      *(bad[:3] + [good] + bad[3:]))
  assert result.returncode == 1
  assert list(predicted(result.stdout, data.DATASETS['mnist'].class_names)
              ) == [good]
  errors = error_lines(result.stderr)
  assert len(errors) == len(bad), errors
  for path, line in zip(bad, errors):
    if expected[path] == 'blank':
      assert line == path + ': blank: one flat colour, nothing to read; no ' \
          'prediction', line
    else:
      assert line.startswith('predict.py: error: %s: %s'
                             % (path, expected[path])), line


def cpu_seconds(usage):
  return usage.ru_utime + usage.ru_stime


@pytest.mark.slow
def test_image_bombs_are_refused_from_their_headers_and_cost_nothing(
    mnist_model, tmp_path):
  # Each bomb is at most 400 KB: the PNG is a real one that decodes to
  # 400 MB (and cost 17 s and 4.6 GB before its header was read first);
  # the others promise gigabytes in their headers.
  cfg = mnist_model[0]
  _, good = write_bad_files(str(tmp_path))
  paths = []
  for name, contents in sorted(bombs().items()):
    paths.append(str(tmp_path / name))
    with open(paths[-1], 'wb') as f:
      f.write(contents)
  alone, alone_usage = run_script_measured(
      'predict.py', '--model_dir=' + cfg.model_dir, good)
  result, usage = run_script_measured(
      'predict.py', '--model_dir=' + cfg.model_dir, *(paths + [good]))
  assert alone.returncode == 0, alone.stderr
  assert result.returncode == 1
  assert list(predicted(result.stdout, data.DATASETS['mnist'].class_names)
              ) == [good]
  errors = error_lines(result.stderr)
  assert len(errors) == len(paths), errors
  for path, line in zip(paths, errors):
    assert re.fullmatch(r'predict\.py: error: %s: a (PNG|JPEG|GIF|BMP) of '
                        r'\d+x\d+ pixels \([\d.]+ megapixels\), more than '
                        r'--max_pixels=89478485 \(89\.5 megapixels\); not '
                        r'decoded' % re.escape(path), line), line
  # Four bombs cost what one good file costs, within 2 s of CPU and 1.5 GB.
  assert usage.ru_maxrss * 1024 < 1.5e9, usage.ru_maxrss
  assert cpu_seconds(usage) - cpu_seconds(alone_usage) < 2.0, (
      cpu_seconds(usage), cpu_seconds(alone_usage))


@pytest.mark.slow
def test_max_pixels_sets_the_budget(mnist_model, tmp_path):
  _, good = write_bad_files(str(tmp_path))  # 20 x 26 pixels.
  result = run_script('predict.py', '--model_dir=' + mnist_model[0].model_dir,
                      '--max_pixels=519', good)
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'predict.py: error: %s: a PNG of 20x26 pixels (0.0 megapixels), more '
      'than --max_pixels=519 (0.0 megapixels); not decoded' % good]
  result = run_script('predict.py', '--max_pixels=0', good)
  assert result.returncode == 2
  assert error_lines(result.stderr) == [
      'predict.py: error: flag --max_pixels=0: 0 is not a positive integer '
      '(see --help)']


def test_no_files_or_two_models_is_a_usage_error(tmp_path):
  result = run_script('predict.py')
  assert result.returncode == 2
  assert error_lines(result.stderr) == [
      'predict.py: error: no arguments; usage: predict.py [flags] FILE '
      '[FILE ...] (see --help)']
  result = run_script('predict.py', '--saved_model=x', '--model_dir=y', 'a.png')
  assert result.returncode == 2
  assert error_lines(result.stderr) == [
      'predict.py: error: --saved_model, --tflite and --onnx are in place of '
      '--model_dir and --checkpoint, and of each other; give one of them (see '
      '--help)']
  result = run_script('predict.py', '--saved_model=' + str(tmp_path), 'a.png')
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'predict.py: error: --saved_model=%s: no saved_model.pb there or in a '
      'numbered version folder' % tmp_path]


@pytest.mark.slow
def test_a_regressor_is_not_asked_for_images(tmp_path):
  cfg = config.for_variant('cosine', epochs=1, model_dir=str(tmp_path / 'm'),
                           logdir=str(tmp_path / 'logs'))
  training.train(cfg)
  version = savedmodel.export(cfg, checkpoints.best_model(cfg.model_dir),
                          str(tmp_path / 'serving'))
  image = str(tmp_path / 'a.bmp')
  with open(image, 'wb') as f:
    f.write(bmp(28, 28))
  result = run_script('predict.py', '--model_dir=' + cfg.model_dir, image)
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'predict.py: error: %s: a cosine model predicts from rows of cosine '
      'features, not from images; see evaluate.py --predict, or export.py\'s '
      'SavedModel' % os.path.join(cfg.model_dir, 'best.ckpt')]
  result = run_script('predict.py', '--saved_model=' + version, image)
  assert result.returncode == 1
  (line,) = error_lines(result.stderr)
  assert "does not take 'images' and return 'probabilities'" in line
