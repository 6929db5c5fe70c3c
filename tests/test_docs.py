"""The README and docs/: a front door that stays short, links that lead
somewhere, and a flag reference that matches the flags."""

import glob
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO

DOCS = os.path.join(REPO, 'docs')
MARKDOWN = [os.path.join(REPO, 'README.md')] + sorted(
    glob.glob(os.path.join(DOCS, '*.md')))
LINK = re.compile(r'\]\(([^)\s]+)\)')


def slugs(path):
  """The anchors GitHub gives a Markdown file's headings."""
  with open(path) as f:
    headings = re.findall(r'^#+ (.*)$', f.read(), re.M)
  return {re.sub(r'[^\w\- ]', '', h.strip().lower()).replace(' ', '-')
          for h in headings}


def test_every_relative_link_leads_to_a_file_and_heading():
  broken = []
  for path in MARKDOWN:
    with open(path) as f:
      text = re.sub(r'```.*?```', '', f.read(), flags=re.S)
    for target in LINK.findall(text):
      if re.match(r'[a-z]+:', target):
        continue
      name, _, anchor = target.partition('#')
      linked = (os.path.normpath(os.path.join(os.path.dirname(path), name))
                if name else path)
      if not os.path.exists(linked):
        broken.append('%s: %s (no such file)' % (path, target))
      elif anchor and linked.endswith('.md') and anchor not in slugs(linked):
        broken.append('%s: %s (no such heading)' % (path, target))
  assert not broken, '\n'.join(broken)


def test_the_readme_is_a_front_door_to_every_guide():
  with open(os.path.join(REPO, 'README.md')) as f:
    readme = f.read()
  assert len(readme.splitlines()) <= 250
  linked = {os.path.basename(t.partition('#')[0])
            for t in LINK.findall(readme) if t.startswith('docs/')}
  guides = {os.path.basename(p) for p in MARKDOWN[1:]}
  assert guides - linked == set()


@pytest.mark.slow
def test_flags_md_is_what_the_flag_definitions_say():
  result = subprocess.run(
      [sys.executable, os.path.join(DOCS, 'make_flags.py'), '--check'],
      capture_output=True, text=True, timeout=600)
  assert result.returncode == 0, result.stderr
  with open(os.path.join(DOCS, 'flags.md')) as f:
    text = f.read()
  # Every script, and flags of each kind: a preset's, a cluster's, a
  # script's own.
  for name in ('## train.py', '## export.py', '## sweep.py', '`--variant`',
               '`--worker_timeout`', '`--format`', '`--parallel`'):
    assert name in text


def test_code_layout_md_names_every_module_and_script():
  with open(os.path.join(DOCS, 'code-layout.md')) as f:
    layout = f.read()
  modules = {'legacy_dnn/' + os.path.basename(p) for p in glob.glob(
      os.path.join(REPO, 'legacy_dnn', '*.py'))} - {'legacy_dnn/__init__.py'}
  scripts = {os.path.basename(p) for p in glob.glob(
      os.path.join(REPO, 'scripts', '*.py'))}
  unnamed = sorted(m for m in modules | scripts if m not in layout)
  assert not unnamed, 'docs/code-layout.md does not name ' + ', '.join(unnamed)
