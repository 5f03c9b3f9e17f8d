"""notifications: its tables as of revision 0007, squashed into one baseline kept as data
(0007_baseline.json; why and how: baton_runtime.migrations.baseline)"""

from baton_runtime.migrations.baseline import baseline

revision = "0007"
down_revision = None
upgrade, downgrade = baseline(__file__)
