"""``python -m baton_runtime.migrations baton_<service>``: the migration job."""

import sys

from baton_runtime.migrations import upgrade_service

if len(sys.argv) != 2:
    sys.exit("usage: python -m baton_runtime.migrations baton_<service>")
upgrade_service(sys.argv[1])
