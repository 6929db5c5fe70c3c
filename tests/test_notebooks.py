"""notebooks/: stored clean, and executed top to bottom in a real kernel
(papermill, which sets the parameters cell as a user would) on small
generated data, their key outputs checked."""

import glob
import os
import re
import signal

import pytest

from conftest import (REPO, process_gone, script_env, wait_until, write_dataset,
                      write_housing)
from legacy_dnn import cifar

NOTEBOOKS = sorted(glob.glob(os.path.join(REPO, 'notebooks', '*.ipynb')))
NAMES = [os.path.basename(path)[:-len('.ipynb')] for path in NOTEBOOKS]


def read(path):
  import nbformat  # pylint: disable=import-outside-toplevel
  return nbformat.read(path, as_version=4)


def test_the_four_sources_have_their_notebooks():
  assert NAMES == ['fashion_exam', 'homl_ch10', 'lab10', 'lab11']


@pytest.mark.parametrize('path', NOTEBOOKS, ids=NAMES)
def test_a_notebook_is_valid_and_stored_without_outputs(path):
  import nbformat  # pylint: disable=import-outside-toplevel
  notebook = read(path)
  nbformat.validate(notebook)
  for cell in notebook.cells:
    if cell.cell_type == 'code':
      assert cell.outputs == [] and cell.execution_count is None, (
          '%s: a cell holds outputs: %s' % (path, cell.source[:60]))
  tagged = [c for c in notebook.cells
            if 'parameters' in c.metadata.get('tags', [])]
  assert len(tagged) == 1, 'one cell tagged "parameters" (papermill)'
  assert notebook.metadata.kernelspec.name == 'python3'
  sources = '\n'.join(c.source for c in notebook.cells)
  # The source's own TF1 code, through legacy_dnn.v1; then our API.
  assert '%load_ext legacy_dnn.v1' in sources
  assert 'tf.Session()' in sources and 'legacy_dnn.train(' in sources
  assert '%tensorboard --logdir' in sources


# What each notebook runs on here: the sources' data, generated small.
def _lay_out_data(folder):
  # input_data holds out 5,000 images for validation, as TF1's did, and
  # the lab's programs need a few hundred steps to learn even these.
  write_dataset(str(folder / 'MNIST_data'), n_train=15000, n_test=300)
  write_dataset(str(folder / 'data' / 'fashion'), n_train=10000, n_test=300,
                seed=1)
  write_housing(str(folder / 'housing'), n_rows=600)
  os.makedirs(folder / 'cifar')  # fashion_exam holds out 500 (SMALL).
  cifar.write_random(str(folder / 'cifar' / cifar.ARCHIVE), 800, 100)


SMALL = {
    'lab10': dict(training_epochs=2, train_limit=600, data_dir='MNIST_data'),
    'lab11': dict(training_epochs=2, train_limit=2000, data_dir='MNIST_data'),
    'homl_ch10': dict(n_epochs=2, homl_epochs=3, train_limit=600,
                      data_dir='MNIST_data', housing_dir='housing',
                      housing_epochs=2, search_trials=2, search_epochs=1),
    'fashion_exam': dict(training_epochs=2, train_limit=1000,
                         data_dir='data/fashion', cifar_dir='cifar',
                         grid='learning_rate=0.001,0.003', cosine_epochs=20,
                         validation_size=500),
}
# At least this many pictures each notebook draws: learning curves,
# misclassified images with the confusion matrix, a regressor's fit.
PICTURES = {'lab10': 3, 'lab11': 2, 'homl_ch10': 3, 'fashion_exam': 4}


def _stop_tensorboards(folder):
  """Stops any tensorboard program that %tensorboard started in folder and
  that outlived its kernel (jupyter_client stops the kernel's process group,
  which takes them along)."""
  stopped = []
  for pid in filter(str.isdigit, os.listdir('/proc')):
    try:
      cwd = os.readlink('/proc/%s/cwd' % pid)
      with open('/proc/%s/cmdline' % pid, 'rb') as f:
        command = f.read()
    except OSError:
      continue
    if cwd == str(folder) and b'tensorboard' in command:
      os.kill(int(pid), signal.SIGTERM)
      stopped.append(pid)
  for pid in stopped:
    wait_until(lambda: process_gone(pid), 'tensorboard %s to stop' % pid,
               interval=0.05)
  return stopped


def _texts(notebook):
  return [''.join(o.get('text', '') for o in c.get('outputs', [])
                  if o.output_type == 'stream')
          for c in notebook.cells]


@pytest.mark.slow
@pytest.mark.parametrize('name', NAMES)
def test_a_notebook_runs_top_to_bottom_in_a_real_kernel(name, tmp_path,
                                                        monkeypatch):
  import papermill  # pylint: disable=import-outside-toplevel
  _lay_out_data(tmp_path)
  for key, value in script_env().items():
    monkeypatch.setenv(key, value)  # The kernel's environment.
  out = str(tmp_path / (name + '.out.ipynb'))
  try:
    papermill.execute_notebook(
        os.path.join(REPO, 'notebooks', name + '.ipynb'), out,
        parameters=SMALL[name], cwd=str(tmp_path), kernel_name='python3',
        progress_bar=False, request_save_on_cell_execute=False,
        execution_timeout=600)
  finally:
    _stop_tensorboards(tmp_path)
  notebook = read(out)
  outputs = [o for c in notebook.cells for o in c.get('outputs', [])]
  assert not [o for o in outputs if o.output_type == 'error']
  texts = _texts(notebook)
  text = '\n'.join(texts)
  # Every TF1 program and every API run learned: above chance (0.1) on
  # images whose classes are learnable (the generated CIFAR-10's are not;
  # a search's trials may fail to, by design).
  accuracies = [float(a) for cell, cell_text in zip(notebook.cells, texts)
                if 'cifar' not in cell.source and 'sweep(' not in cell.source
                for a in re.findall(r'^Accuracy: ?\[?([0-9.]+)', cell_text,
                                    re.MULTILINE)]
  assert accuracies and min(accuracies) > 0.3, accuracies
  assert 'Learning Finished!' in text
  pictures = [o for o in outputs if 'image/png' in o.get('data', {})]
  assert len(pictures) >= PICTURES[name]
  # TensorBoard inline: the frame %tensorboard shows once the program it
  # started says which port it serves.
  assert any(re.search(r'<iframe id="tensorboard-frame-.*const port = \d+',
                       o.get('data', {}).get('text/html', ''), re.DOTALL)
             for o in outputs)
  if name == 'lab10':  # Two more epochs continue the run.
    assert ('The run finished its 2 epochs; asked for 4. Continuing at '
            'epoch 3') in text
    assert re.search(r'^Epoch: 0004 cost', text, re.MULTILINE)
  if name in ('fashion_exam', 'homl_ch10'):  # The search's ranked table.
    assert 'Sweep: 2 trials' in text
    assert len(re.findall(r'^\| \d \| .* \| finished \|$', text,
                          re.MULTILINE)) == 2, text
  if name == 'fashion_exam':
    assert 'CIFAR-10 skipped' not in text
    # validation_size reaches the API's four runs (small, the grid's two
    # trials, CIFAR-10): 500 images held out, not the sources' 5,000.
    assert text.count(', 500 validation, ') == 4, text
    assert 'Data: cifar (300 train, 500 validation, 100 test images)' in text
  if name == 'homl_ch10':
    assert re.search(r'Test MSE: MLP [0-9.]+, wide & deep [0-9.]+', text)
