"""govstats: tidy, validated data from China's Open Government Information annual reports.

>>> import govstats
>>> tables = govstats.read_report("data/raw/000_26d4c64f71069daa.txt")
>>> data = govstats.load_dataset("data/processed")

Importing the package is light: the readers, pandas and pyarrow load when a function first needs them.
"""

from .dataset.memory import prefer_system_allocator

prefer_system_allocator()  # before anything loads pyarrow: Arrow reads its allocator once, when it loads

__version__ = "0.1.0"

__all__ = ["Dataset", "ReportTables", "__version__", "load_dataset", "read_report"]


def __getattr__(name: str):
    if name in __all__:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'govstats' has no attribute {name!r}")
