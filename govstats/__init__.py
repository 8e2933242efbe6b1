"""govstats: tidy, validated data from China's Open Government Information annual reports.

>>> import govstats
>>> tables = govstats.read_report("data/raw/000_26d4c64f71069daa.txt")
>>> data = govstats.load_dataset("data/processed")
"""

__version__ = "0.1.0"

from .api import Dataset, ReportTables, load_dataset, read_report  # noqa: E402

__all__ = ["Dataset", "ReportTables", "__version__", "load_dataset", "read_report"]
