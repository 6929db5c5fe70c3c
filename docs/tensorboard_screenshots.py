"""docs/tensorboard.md's screenshots, taken in a real headless Chromium.

  apt-get install chromium chromium-driver && pip install selenium
  tensorboard --logdir tf_logs --port 6006 &
  python docs/tensorboard_screenshots.py --run=<run>/train --tag=step6000

Graph: the run's traced step picked in "Session runs" (the Tag menu) and the
nodes coloured by compute time, as a person would pick them in the sidebar.
Projector: the tab as it opens, PCA of the first embedding with its sprites.
Chromium draws the Projector's WebGL with SwiftShader, on the CPU.
"""

import argparse
import time

from selenium import webdriver
from selenium.common import exceptions
from selenium.webdriver.chrome.service import Service

# Finds the first element matching a selector, through shadow roots: the
# Graph tab's controls live inside Polymer elements.
DEEP = """
function deep(root, selector) {
  const found = root.querySelector(selector);
  if (found) return found;
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) {
      const inner = deep(el.shadowRoot, selector);
      if (inner) return inner;
    }
  }
  return null;
}
"""


def browser(width, height):
  options = webdriver.ChromeOptions()
  options.binary_location = '/usr/bin/chromium'
  for argument in ('--headless=new', '--no-sandbox',
                   '--window-size=%d,%d' % (width, height),
                   '--use-angle=swiftshader', '--enable-unsafe-swiftshader'):
    options.add_argument(argument)
  return webdriver.Chrome(service=Service('/usr/bin/chromedriver'),
                          options=options)


def wait_for(driver, expression, timeout=120):
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    try:
      if driver.execute_script(DEEP + 'return (%s);' % expression):
        return
    except exceptions.JavascriptException:  # Not there yet.
      pass
    time.sleep(0.5)
  raise SystemExit('TensorBoard never showed: ' + expression)


def graph(driver, base, run, tag, out):
  driver.get(base + '/#graphs')
  controls = "deep(document, 'tf-graph-controls')"
  wait_for(driver, '%s && %s.datasets && %s.datasets.length' % (
      (controls,) * 3))
  driver.execute_script(DEEP + """
      const c = %s;
      c._selectedRunIndex = c.datasets.findIndex(d => d.name === arguments[0]);
      """ % controls, run)
  wait_for(driver, '%s.datasets[%s._selectedRunIndex].tags.length > 1' % (
      controls, controls))
  driver.execute_script(DEEP + """
      const c = %s;
      c._selectedTagIndex = c.datasets[c._selectedRunIndex].tags.findIndex(
          t => t.tag === arguments[0]);
      """ % controls, tag)
  wait_for(driver, '%s.stats' % controls)  # The trace has loaded.
  driver.execute_script(DEEP + "%s.colorBy = 'compute_time';" % controls)
  time.sleep(3)  # The scene re-colours; nothing to wait on.
  driver.save_screenshot(out)


def projector(driver, base, out):
  driver.get(base + '/#projector')
  # The Projector runs in an iframe inside the plugin's own iframe.
  projector_element = ("deep(deep(deep(document, 'iframe').contentDocument, "
                       "'iframe').contentDocument, 'vz-projector')")
  wait_for(driver, '%s && /Points: *\\d/.test(%s.shadowRoot.textContent)' % (
      projector_element, projector_element))
  time.sleep(10)  # Sprites load, and PCA settles.
  driver.save_screenshot(out)


def main():
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--base', default='http://127.0.0.1:6006')
  parser.add_argument('--run', required=True, help='a run with traces')
  parser.add_argument('--tag', required=True, help='a traced step, stepN')
  parser.add_argument('--out_dir', default='docs')
  args = parser.parse_args()
  driver = browser(1400, 900)
  try:
    graph(driver, args.base, args.run, args.tag,
          args.out_dir + '/tensorboard_graph_trace.png')
    projector(driver, args.base, args.out_dir + '/tensorboard_projector.png')
  finally:
    driver.quit()


if __name__ == '__main__':
  main()
