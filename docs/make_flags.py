"""Writes docs/flags.md, every script's flags, from their absl definitions.

  python docs/make_flags.py            # rewrites docs/flags.md
  python docs/make_flags.py --check    # exits 1 if docs/flags.md is stale

Each script is asked for its flags with absl's own --helpxml, in a process
of its own (each defines its flags on absl's global FLAGS); a script's key
flags, those its --help lists, are its own. tests/test_docs.py runs --check.
"""

import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

DOCS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(DOCS)
SCRIPTS = ('train.py', 'evaluate.py', 'predict.py', 'export.py', 'sweep.py',
           'gradcheck.py', 'plot_curves.py', 'benchmark.py')
OUTPUT = os.path.join(DOCS, 'flags.md')

HEADER = """# Flags

Every flag of every script, generated from their definitions by
`python docs/make_flags.py` (a test fails when this file is out of date).
`--help` prints the same for one script; `--helpfull` adds absl's own.
Defaults shown as — come from the preset (`--variant`) or the data.
"""


def script_flags(script):
  """(usage's first line, [flag element]) of the script's key flags."""
  # The cache folder a default names is shown as a user's home has it.
  with tempfile.TemporaryDirectory() as cache:
    env = dict(os.environ, PYTHONPATH=REPO, XDG_CACHE_HOME=cache)
    # absl prints the XML and exits with status 1.
    result = subprocess.run(
        [sys.executable, os.path.join(REPO, 'scripts', script), '--helpxml'],
        capture_output=True, text=True, env=env)
  if not result.stdout.startswith('<?xml'):
    raise RuntimeError('%s --helpxml: %s' % (script, result.stderr))
  root = ElementTree.fromstring(result.stdout.replace(cache, '~/.cache'))
  usage = root.findtext('usage').strip().splitlines()[0]
  return usage, [f for f in root.findall('flag') if f.findtext('key') == 'yes']


def _cell(text):
  return ' '.join((text or '').split()).replace('|', '\\|')


def _meaning(flag):
  # An enum's help starts with its values, which the type column lists.
  return _cell(re.sub(r'^<[^>]*>: ', '', flag.findtext('meaning') or ''))


def _default(flag):
  default = flag.findtext('default')
  if flag.findtext('type') == 'bool':
    return '`%s`' % default
  return '`%s`' % default if default else '—'


def _kind(flag):
  kind = flag.findtext('type')
  enum = [e.text for e in flag.findall('enum_value')]
  if enum:
    return 'one of ' + ', '.join('`%s`' % e for e in enum)
  bounds = [(flag.findtext('lower_bound'), '≥'),
            (flag.findtext('upper_bound'), '≤')]
  limits = ['%s %s' % (sign, value) for value, sign in bounds if value]
  return kind + (' (%s)' % ', '.join(limits) if limits else '')


def markdown():
  parts = [HEADER]
  for script in SCRIPTS:
    usage, flags = script_flags(script)
    parts.append('\n## %s\n\n%s\n\n| Flag | Default | Type | What it does |\n'
                 '|---|---|---|---|\n' % (script, _cell(usage)))
    for flag in sorted(flags, key=lambda f: f.findtext('name')):
      name = flag.findtext('name')
      flag_name = ('--[no]' + name if flag.findtext('type') == 'bool'
                   else '--' + name)
      parts.append('| `%s` | %s | %s | %s |\n' % (
          flag_name, _default(flag), _kind(flag),
          _meaning(flag)))
  return ''.join(parts)


def main(argv):
  text = markdown()
  if argv[1:] == ['--check']:
    with open(OUTPUT) as f:
      if f.read() != text:
        print('%s is out of date: run python docs/make_flags.py' % OUTPUT,
              file=sys.stderr)
        return 1
    return 0
  with open(OUTPUT, 'w') as f:
    f.write(text)
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv))
