"""`python -m seqbench.cli`: the same commands as `seqbench`."""

import sys

from seqbench.cli.main import main

sys.exit(main())
