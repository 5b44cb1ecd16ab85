"""``python -m tunex_core``: the TuneX command line."""

from tunex_core.cli import main

raise SystemExit(main())
