"""Revenue metrics from the event log: the worker folds MRR changes into daily and monthly
rollups (`rollups.py`); reads come from those rows only (`reads.py`, `ratios.py`)."""
