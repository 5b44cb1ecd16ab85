"""Sub-commands of ``python -m tunex_core``; each module defines ``register(subparsers)``."""
