"""The after-action log: one hash-chained, append-only record per event.

What other modules use is imported from here (``from coordination.log import record``):

- ``chain``: appending entries, verifying the chain, receipts, timestamps;
- ``kinds``: every kind of entry and its words (``from coordination.log.kinds import LogKind``);
- ``guard``: the database triggers' one way past (the test suite's flush);
- ``geometry``: geometries in an entry's data, written as objects, read in either form.
"""

from coordination.log.chain import (
    GENESIS_HASH,
    HAPPENED_AT,
    HAPPENED_AT_MIN_DIFFERENCE,
    RECEIPT_FORMAT,
    Receipt,
    ReceiptCheck,
    ReceiptResult,
    Verification,
    canonical_json,
    chain_hash,
    check_receipts,
    entry_hash,
    format_timestamp,
    happened_at_of,
    happened_at_text,
    lock_for_log,
    log_head,
    parse_receipt,
    parse_timestamp,
    receipt_of,
    record,
    record_many,
    verify_entries,
    verify_event_log,
    verify_rows,
)
from coordination.log.geometry import geometry_for_log, geometry_from_log

__all__ = [
    "GENESIS_HASH",
    "HAPPENED_AT",
    "HAPPENED_AT_MIN_DIFFERENCE",
    "RECEIPT_FORMAT",
    "Receipt",
    "ReceiptCheck",
    "ReceiptResult",
    "Verification",
    "canonical_json",
    "chain_hash",
    "check_receipts",
    "entry_hash",
    "format_timestamp",
    "geometry_for_log",
    "geometry_from_log",
    "happened_at_of",
    "happened_at_text",
    "lock_for_log",
    "log_head",
    "parse_receipt",
    "parse_timestamp",
    "receipt_of",
    "record",
    "record_many",
    "verify_entries",
    "verify_event_log",
    "verify_rows",
]
