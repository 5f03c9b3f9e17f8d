"""``python -m baton_runtime.migrations baton_<service>``: the migration job.

``python -m baton_runtime.migrations snapshot baton_<service>`` prints the
service's tables as a baseline snapshot (``baton_runtime.migrations.baseline``)."""

import sys

from baton_runtime.migrations import upgrade_service
from baton_runtime.migrations.baseline import dumps, service_tables, snapshot

match sys.argv[1:]:
    case [package]:
        upgrade_service(package)
    case ["snapshot", package]:
        print(dumps(snapshot(service_tables(package))))
    case _:
        sys.exit(
            "usage: python -m baton_runtime.migrations baton_<service>\n"
            "       python -m baton_runtime.migrations snapshot baton_<service>"
        )
