"""ONNX files: onnx_export.py, export.py --format=onnx, evaluate.py and
predict.py --onnx, each file checked in a process that imports onnxruntime
and numpy alone; files from outside refused before they run.

The tests import onnx themselves, not the module: the quick tests on other
TensorFlows (.ci/run) collect it without the onnx extra.
"""

import os
import re
import subprocess

import numpy as np
import pytest

from conftest import (error_lines, run_onnx_only, run_script, script_command,
                      script_env)
from legacy_dnn import checkpoints
from legacy_dnn import config
from legacy_dnn import lite
from legacy_dnn import onnx_export
from legacy_dnn import presets
from legacy_dnn.errors import UserError
from test_keras_export import ours, random_checkpoint, random_rows
from test_lite import assert_file_report
from test_lite import trained  # pylint: disable=unused-import
from test_predict import render

# Starts processes, clusters or tensorboard, or trains for long (setup.cfg).
pytestmark = pytest.mark.slow

EXAMPLES = 2000


def test_every_presets_file_runs_in_onnxruntime_alone_as_our_graph(tmp_path):
  import onnx  # pylint: disable=import-outside-toplevel
  jobs, expected, cfgs = [], [], []
  for variant in sorted(presets.PRESETS):
    folder = str(tmp_path / variant)
    os.makedirs(folder)
    cfg = config.for_variant(variant, model_dir=folder)
    checkpoint = random_checkpoint(cfg, folder)
    rows = random_rows(cfg, EXAMPLES if cfg.dataset != 'cifar10' else 500)
    path = lite.write(onnx_export.convert(cfg, checkpoint),
                      os.path.join(folder, variant + '.onnx'))
    model = onnx.load(path)
    assert [i.name for i in model.graph.input] == sorted(
        lite.signature_inputs(cfg, rows))
    assert {o.version for o in model.opset_import if o.domain == ''} == {17}
    np.savez(os.path.join(folder, 'inputs.npz'),
             **lite.signature_inputs(cfg, rows))
    jobs.append(dict(model=path, inputs=os.path.join(folder, 'inputs.npz'),
                     outputs=os.path.join(folder, 'outputs.npz')))
    expected.append(ours(cfg, checkpoint, rows))
    cfgs.append(cfg)
  for cfg, got, want in zip(cfgs, run_onnx_only(jobs), expected):
    if cfg.head == presets.CLASSES:
      assert sorted(got) == ['classes', 'probabilities'], cfg.variant
      np.testing.assert_array_equal(got['classes'],
                                    got['probabilities'].argmax(1))
      agree = np.mean(got['classes'] == want.argmax(1))
      assert agree >= 0.999, (cfg.variant, agree)
      np.testing.assert_allclose(got['probabilities'], want, rtol=0,
                                 atol=1e-5, err_msg=cfg.variant)
    else:
      expected_names = ['predictions'] + [s for s in presets.aux_scopes(cfg)]
      assert sorted(got) == sorted(expected_names), cfg.variant
      np.testing.assert_allclose(got['predictions'][:, 0], want, rtol=1e-5,
                                 atol=1e-6, err_msg=cfg.variant)


def export_onnx(model_dir, path, *extra):
  result = run_script('export.py', '--model_dir=' + model_dir,
                      '--format=onnx', '--output=' + path, *extra)
  assert result.returncode == 0, result.stderr
  assert result.stderr == ''
  return result.stdout


def test_the_script_exports_at_an_opset_and_evaluate_scores_the_file(
    trained, tmp_path):
  data_dir, model_dir = trained
  path = str(tmp_path / 'out' / 'm.onnx')
  stdout = export_onnx(model_dir, path, '--opset=15')
  assert stdout.splitlines() == [
      'Exported %s (dropout on mnist) to %s (%s bytes, ONNX opset 15)' % (
          checkpoints.best_model(model_dir), path,
          format(os.path.getsize(path), ',')),
      'Inputs and outputs: images float32 [-1, 784] -> classes int64 [-1], '
      'probabilities float32 [-1, 10]']
  assert_file_report(data_dir, model_dir, '--onnx', path, 'ONNX opset 15',
                     'onnxruntime')


def test_predict_with_an_onnx_file_names_the_classes_our_graph_does(
    trained, tmp_path):
  data_dir, model_dir = trained
  path = str(tmp_path / 'm.onnx')
  export_onnx(model_dir, path)
  from legacy_dnn import data  # pylint: disable=import-outside-toplevel
  images = data.load(data.DATASETS['mnist'], data_dir,
                     validation_size=0).test[0][:6]
  files = [render(image, k, str(tmp_path)) for k, image in enumerate(images)]
  from_dir = run_script('predict.py', '--model_dir=' + model_dir, *files)
  from_onnx = run_script('predict.py', '--onnx=' + path, *files)
  assert from_onnx.returncode == 0, from_onnx.stderr
  assert from_onnx.stderr == ''
  assert from_onnx.stdout.splitlines()[0] == (
      'Model: %s (onnxruntime, mnist)' % path)
  strip = lambda out: [re.sub(r'\d\)', ')', l) for l in out.splitlines()[1:]]
  assert strip(from_onnx.stdout) == strip(from_dir.stdout)


def write_model(path, nodes, inputs=None, opsets=(('', 17),), **kwargs):
  """An ONNX model of nodes, taking images [N, 784] by default."""
  import onnx  # pylint: disable=import-outside-toplevel
  helper = onnx.helper
  inputs = inputs or [helper.make_tensor_value_info(
      'images', onnx.TensorProto.FLOAT, ['N', 784])]
  graph = helper.make_graph(
      nodes, 'outside', inputs,
      [helper.make_tensor_value_info('probabilities', onnx.TensorProto.FLOAT,
                                     None)], **kwargs)
  model = helper.make_model(graph, opset_imports=[
      helper.make_opsetid(domain, version) for domain, version in opsets])
  with open(path, 'wb') as f:
    f.write(model.SerializeToString())
  return str(path)


def test_a_file_from_outside_is_checked_before_it_runs(tmp_path):
  import onnx  # pylint: disable=import-outside-toplevel
  helper = onnx.helper
  custom = write_model(
      tmp_path / 'custom.onnx',
      [helper.make_node('ReadFile', ['images'], ['probabilities'],
                        domain='com.example.fileio')],
      opsets=(('', 17), ('com.example.fileio', 1)))
  external = tmp_path / 'external.onnx'
  weights = helper.make_tensor('w', onnx.TensorProto.FLOAT, [784, 10],
                               np.zeros(7840, np.float32).tobytes(), raw=True)
  onnx.external_data_helper.set_external_data(weights, '/etc/passwd')
  write_model(external, [helper.make_node('MatMul', ['images', 'w'],
                                          ['probabilities'])],
              initializer=[weights])
  garbage = tmp_path / 'notes.onnx'
  garbage.write_bytes(b'a shopping list')
  huge = tmp_path / 'huge.onnx'
  with open(huge, 'wb') as f:
    f.truncate(onnx_export.MAX_BYTES + 1)  # Sparse: no disk taken.
  for path, message in [
      (custom, "refused before it runs: it needs the operator set "
               "'com.example.fileio', not ONNX's own"),
      (str(external), "refused before it runs: its tensor 'w' is stored in "
                      "another file, which onnxruntime would read"),
      (str(garbage), 'not an ONNX model'),
      (str(huge), '%s bytes, more than the %s an ONNX model of ours could '
                  'need' % (format(onnx_export.MAX_BYTES + 1, ','),
                            format(onnx_export.MAX_BYTES, ','))),
      (str(tmp_path / 'nowhere.onnx'), 'cannot read: No such file or '
                                       'directory')]:
    with pytest.raises(UserError) as raised:
      onnx_export.load(path)
    assert str(raised.value) == '--onnx=%s: %s' % (path, message)
  # A custom op hidden in a subgraph is found too.
  branch = helper.make_graph(
      [helper.make_node('Exec', [], ['y'], domain='evil')], 'then', [],
      [helper.make_tensor_value_info('y', onnx.TensorProto.FLOAT, None)])
  nested = write_model(
      tmp_path / 'nested.onnx',
      [helper.make_node('Constant', [], ['c'], value=helper.make_tensor(
          'c', onnx.TensorProto.BOOL, [], [True])),
       helper.make_node('If', ['c'], ['probabilities'], then_branch=branch,
                        else_branch=branch)])
  with pytest.raises(UserError, match=r"its node '' is a custom op "
                     r'\(evil\.Exec\)$'):
    onnx_export.load(nested)


def test_a_file_of_another_shape_is_one_line_in_the_scripts(trained,
                                                            tmp_path):
  import onnx  # pylint: disable=import-outside-toplevel
  data_dir, model_dir = trained
  helper = onnx.helper
  wide = write_model(
      tmp_path / 'wide.onnx',
      [helper.make_node('Softmax', ['images'], ['probabilities'])],
      inputs=[helper.make_tensor_value_info('images', onnx.TensorProto.FLOAT,
                                            ['N', 100])])
  result = run_script('evaluate.py', '--model_dir=' + model_dir,
                      '--data_dir=' + data_dir, '--onnx=' + wide)
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      'evaluate.py: error: --onnx=%s: takes images [-1, 100], not images '
      '[-1, 784]: not a file of this model' % wide]
  image = tmp_path / 'x.png'
  image.write_bytes(b'')
  result = run_script('predict.py', '--onnx=' + wide, str(image))
  assert result.returncode == 1
  assert error_lines(result.stderr) == [
      "predict.py: error: --onnx=%s: takes images of shape [100], not [784] "
      "as mnist's" % wide]


def test_without_the_onnx_extra_the_line_names_it(trained, tmp_path):
  data_dir, model_dir = trained
  path = str(tmp_path / 'm.onnx')
  export_onnx(model_dir, path)
  # A package that fails to import stands in for one not installed.
  shadow = tmp_path / 'shadow' / 'onnxruntime'
  shadow.mkdir(parents=True)
  (shadow / '__init__.py').write_text('raise ImportError("not installed")\n')
  env = script_env()
  env['PYTHONPATH'] = str(tmp_path / 'shadow') + os.pathsep + env['PYTHONPATH']
  hint = ("tf2onnx, onnx and onnxruntime are not installed; pip install -e "
          "'.[onnx]'")
  for script, args, flag in (
      ('evaluate.py', ['--model_dir=' + model_dir, '--data_dir=' + data_dir,
                       '--onnx=' + path], '--onnx=' + path),
      ('predict.py', ['--onnx=' + path, path + '.png'], '--onnx=' + path),
      ('export.py', ['--model_dir=' + model_dir, '--format=onnx',
                     '--output=' + str(tmp_path / 'n.onnx')],
       '--format=onnx')):
    result = subprocess.run(script_command(script, *args), env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert error_lines(result.stderr) == ['%s: error: %s: %s'
                                          % (script, flag, hint)]
  assert not os.path.exists(tmp_path / 'n.onnx')
