"""Sharing TuneX with other devices (``bash scripts/start.sh --share``, the container).

- ``certificate``: the self-signed HTTPS certificate kept under the TuneX home, naming this
  machine's host name and local-network addresses;
- ``access``: the access code visitors need before any page renders, and the sharing settings
  the server reads from its environment;
- ``addresses``: this machine's local-network addresses (read, never contacted).
"""
