"""python -m legacy_dnn COMMAND ...: the legacy-dnn command (commands/)."""

import sys

from legacy_dnn import commands

sys.exit(commands.main())
