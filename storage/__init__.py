"""Where answers are kept: SQLite via sqlite-utils, migrations and CSV export."""

from storage.export import EXPORT_COLUMNS, csv_bytes, write_csv
from storage.models import Answer, Evaluation, ExportRow, NotFoundError, SearchGap
from storage.store import CommitFailed, Store, StoreUnavailable

__all__ = [
    "EXPORT_COLUMNS",
    "Answer",
    "CommitFailed",
    "Evaluation",
    "ExportRow",
    "NotFoundError",
    "SearchGap",
    "Store",
    "StoreUnavailable",
    "csv_bytes",
    "write_csv",
]
