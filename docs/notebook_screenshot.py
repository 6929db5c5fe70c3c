"""Takes docs/notebook_in_jupyterlab.png: a notebook run in JupyterLab as a
person runs it, with legacy_dnn.train's progress widget mid-epoch, inline
TensorBoard and the learning curves of a finished run.

  pip install -e '.[notebooks]' playwright
  apt-get install chromium        # Playwright drives this one
  python docs/notebook_screenshot.py --out=docs/notebook_in_jupyterlab.png

It starts `jupyter lab` headless on 127.0.0.1 in a scratch folder (token-less,
so only this machine should be able to reach it), opens a notebook there in
Chromium, runs every cell from JupyterLab's own "Run All" command, and takes
the screenshot while the last cell's progress widget moves. Real
Fashion-MNIST (Debian's dataset-fashion-mnist) where installed, else MNIST
as train.py finds it.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    new_markdown_cell('# `legacy_dnn` in JupyterLab\n\nA finished run\'s '
                      'learning curves, TensorBoard inline, and a second '
                      'run training, its progress widget moving.'),
    new_code_cell('import legacy_dnn\n'
                  'finished = legacy_dnn.train("xavier", dataset=DATASET, '
                  'epochs=3, model_dir="models/xavier", verbose=2)\n'
                  'finished.plot()'),
    new_code_cell('%load_ext tensorboard\n%tensorboard --logdir tf_logs'),
    # One core for training, so that the browser has the other.
    new_code_cell('running = legacy_dnn.train("dropout", dataset=DATASET, '
                  'epochs=20, model_dir="models/dropout", '
                  'intra_op_threads=1, inter_op_threads=1)'),
]


# A progress bar widget is on the page, and visible.
WAIT_MS = 300000
PROGRESS_SHOWN = ("[...document.querySelectorAll('.widget-hprogress, "
                  ".widget-progress')].some(e => e.offsetParent !== null)")


def free_port():
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def wait_for(ready, what, timeout=300):
  deadline = time.time() + timeout
  while not ready():
    if time.time() > deadline:
      sys.exit('never saw ' + what)
    time.sleep(0.5)


def main():
  parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
  parser.add_argument('--out', default='docs/notebook_in_jupyterlab.png')
  parser.add_argument('--chromium', default='/usr/bin/chromium')
  args = parser.parse_args()
  from playwright.sync_api import sync_playwright  # pylint: disable=g-import-not-at-top
  out = os.path.abspath(args.out)
  folder = tempfile.mkdtemp(prefix='notebook-screenshot-')
  dataset = ('fashion_mnist' if os.path.isdir('/usr/share/datasets/'
                                               'fashion-mnist') else 'mnist')
  notebook = new_notebook(cells=[new_code_cell('DATASET = %r' % dataset)] +
                          CELLS)
  notebook.metadata['kernelspec'] = {'name': 'python3',
                                     'display_name': 'Python 3',
                                     'language': 'python'}
  nbformat.write(notebook, os.path.join(folder, 'demo.ipynb'))
  port = free_port()
  lab = subprocess.Popen(
      [sys.executable, '-m', 'jupyterlab', '--no-browser', '--allow-root',
       '--ip=127.0.0.1', '--port=%d' % port, '--ServerApp.token=',
       '--ServerApp.password=', '--LabApp.expose_app_in_browser=True',
       '--ServerApp.root_dir=' + folder],
      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
      env=dict(os.environ, PYTHONPATH=os.path.dirname(
          os.path.dirname(os.path.abspath(__file__)))))
  try:
    with sync_playwright() as playwright:
      browser = playwright.chromium.launch(executable_path=args.chromium,
                                           args=['--no-sandbox'])
      page = browser.new_page(viewport={'width': 1400, 'height': 2300})
      url = 'http://127.0.0.1:%d/lab/tree/demo.ipynb' % port
      wait_for(lambda: _reachable(port), 'JupyterLab on port %d' % port)
      page.goto(url)
      page.wait_for_function('window.jupyterapp && window.jupyterapp.shell '
                             '&& window.jupyterapp.shell.currentWidget',
                             timeout=120000)
      page.wait_for_function(
          "(() => { const s = window.jupyterapp.shell.currentWidget"
          ".sessionContext; return s && s.session && s.session.kernel && "
          "s.session.kernel.status === 'idle'; })()", timeout=120000)
      # Cell by cell, as a person runs them. The command's promise is not
      # returned: evaluate() would wait for the cell to end.
      cells = len(notebook.cells)
      for index in range(cells):
        page.evaluate("() => { window.jupyterapp.commands.execute("
                      "'notebook:run-cell-and-select-next'); }")
        if index < cells - 1 and notebook.cells[index].cell_type == 'code':
          page.wait_for_function(
              'window.jupyterapp.shell.currentWidget.content.widgets[%d]'
              '.model.executionCount !== null' % index, timeout=WAIT_MS)
        print('Ran cell %d of %d at %.0f' % (index + 1, cells, time.time()),
              flush=True)
      try:
        # The widget of the last cell, with some examples done.
        page.wait_for_function(PROGRESS_SHOWN, timeout=WAIT_MS,
                                polling=500)
      except Exception:
        page.screenshot(path=out + '.debug.png')
        print('No progress widget; the page as it was: %s.debug.png' % out)
        raise
      page.wait_for_selector('iframe[id^=tensorboard-frame]',
                             timeout=120000)
      # TensorBoard's page has drawn its run list in the frame.
      page.frame_locator('iframe[id^=tensorboard-frame]').locator(
          'text=/run-/').first.wait_for(timeout=120000)
      page.wait_for_function(PROGRESS_SHOWN, timeout=WAIT_MS,
                                polling=500)
      page.screenshot(path=out)
      print('Wrote %s' % out)
      page.evaluate("() => { window.jupyterapp.commands.execute("
                    "'notebook:interrupt-kernel'); }")
      browser.close()
  finally:
    lab.terminate()
    lab.wait(timeout=60)


def _reachable(port):
  try:
    with socket.create_connection(('127.0.0.1', port), timeout=1):
      return True
  except OSError:
    return False


if __name__ == '__main__':
  main()
