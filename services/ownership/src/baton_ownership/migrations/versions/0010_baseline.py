"""ownership: its tables as of revision 0010, squashed into one baseline kept as data
(0010_baseline.json; why and how: baton_runtime.migrations.baseline)"""

from baton_runtime.migrations.baseline import baseline

revision = "0010"
down_revision = None
upgrade, downgrade = baseline(__file__)
