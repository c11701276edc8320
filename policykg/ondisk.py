"""An on-disk Oxigraph store of a built (or synthetic) file: ``policykg index FILE --to FOLDER``.

Why: the embedded backend loads the TriG file into memory, once in the API
process and once in each /sparql worker. That is the fastest start for the
real corpus (19k quads, 40 ms), but at 10^7 triples three in-memory copies
would need about 20 GB. A folder made here is opened read-only by the API and
every worker (``policykg serve --data FOLDER``), and the operating system's
page cache holds the one copy they share. pyoxigraph's ``bulk_load`` writes
the RocksDB files directly; the folder is made beside the target and renamed
into place, so a failed or killed index leaves the previous folder as it was.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Store

from policykg.api.sparql_guard import rdf_format
from policykg.errors import OutputError, QueryError


@dataclass(frozen=True)
class IndexReport:
    source: Path
    folder: Path
    quads: int
    seconds: float


def index(source: Path, folder: Path) -> IndexReport:
    """Bulk-load ``source`` into a new on-disk store at ``folder``, replacing any store there."""
    if not source.is_file():
        raise QueryError(f"{source}: no such file; run `policykg build` (or `policykg synth`) first")
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder} exists and is not a folder")
    started = time.perf_counter()
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        store = Store(str(building))
        try:
            store.bulk_load(path=str(source), format=rdf_format(source))
        except (SyntaxError, ValueError) as error:
            raise QueryError(f"{source}: cannot be loaded: {error}") from None
        store.flush()
        store.optimize()
        quads = len(store)
        del store  # closes the RocksDB files before the folder moves
        old = folder.with_name(f".{folder.name}.old")
        if folder.exists():
            shutil.rmtree(old, ignore_errors=True)
            folder.rename(old)
        building.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as error:
        raise OutputError(f"cannot write the store {folder}: {error}") from None
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return IndexReport(source, folder, quads, time.perf_counter() - started)
