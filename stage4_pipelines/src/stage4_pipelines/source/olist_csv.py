"""Olist's Kaggle CSVs: which files and columns the source needs, checked and parsed once.

Every problem with the folder (missing files, another layout, values that are not Olist's,
another encoding) raises :class:`~stage4_pipelines.errors.ConfigError` naming the file, the
line where it can, and the fix. Nothing is downloaded: the folder must already hold the files.
Parsed files are cached per process until a file's size or modification time changes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from stage4_pipelines.errors import ConfigError

__all__ = ["OLIST_FILES", "OlistData", "load_olist", "olist_int_ids"]

OLIST_FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "orders": (
        "olist_orders_dataset.csv",
        (
            "order_id",
            "customer_id",
            "order_status",
            "order_purchase_timestamp",
            "order_approved_at",
            "order_delivered_carrier_date",
            "order_delivered_customer_date",
            "order_estimated_delivery_date",
        ),
    ),
    "order_items": (
        "olist_order_items_dataset.csv",
        (
            "order_id",
            "order_item_id",
            "product_id",
            "seller_id",
            "shipping_limit_date",
            "price",
            "freight_value",
        ),
    ),
    "payments": (
        "olist_order_payments_dataset.csv",
        ("order_id", "payment_sequential", "payment_type", "payment_installments", "payment_value"),
    ),
    "customers": (
        "olist_customers_dataset.csv",
        (
            "customer_id",
            "customer_unique_id",
            "customer_zip_code_prefix",
            "customer_city",
            "customer_state",
        ),
    ),
    "products": (
        "olist_products_dataset.csv",
        (
            "product_id",
            "product_category_name",
            "product_name_lenght",  # sic: Olist's own spelling
            "product_description_lenght",
            "product_photos_qty",
            "product_weight_g",
            "product_length_cm",
            "product_height_cm",
            "product_width_cm",
        ),
    ),
    "translation": (
        "product_category_name_translation.csv",
        ("product_category_name", "product_category_name_english"),
    ),
}
"""The Kaggle files the source reads and the columns each must have (sellers, reviews and
geolocation are not needed)."""

_FETCH_HINT = (
    "download the Kaggle dataset 'olistbr/brazilian-ecommerce' (Brazilian E-Commerce Public "
    "Dataset by Olist), unzip it into that folder and run again"
)
_TIMESTAMP = "%Y-%m-%d %H:%M:%S"
_HEX_ID = re.compile(r"[0-9a-f]{32}")
_DECIMAL = r"\d+(?:\.\d{1,2})?"


@dataclass(frozen=True)
class OlistData:
    """The files, checked and parsed once; the source cuts days out of it."""

    folder: Path
    orders: pd.DataFrame
    """order_id (int), olist_order_id, customer_id (int, the person), status, purchased (naive,
    source timezone)."""
    items: pd.DataFrame
    """order_id (int), line_no, product_id (int), price_centavos."""
    payments: pd.DataFrame
    """payment_id, order_id (int), amount (BRL as written), method."""
    products: pd.DataFrame
    """product_id (int), name (Olist's product id), category (English where translated)."""


# --- reading files --------------------------------------------------------------------------


def _read(folder: Path, key: str, encoding: str) -> pd.DataFrame:
    name, columns = OLIST_FILES[key]
    path = folder / name
    with path.open("rb") as f:
        if f.read(3) == b"\xef\xbb\xbf":  # a UTF-8 byte-order mark says the encoding itself
            encoding = "utf-8-sig"
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            encoding=encoding,
            encoding_errors="strict",
        )
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not {encoding} text ({exc.reason}): the Kaggle files "
            "are UTF-8 — download them again, or if the file was re-saved in another encoding, "
            "name it in the URL, e.g. STAGE4_SOURCE_URL=olist:///folder?encoding=latin-1"
        ) from exc
    except pd.errors.EmptyDataError as exc:
        raise ConfigError(f"{path} is empty: {_FETCH_HINT}") from exc
    except pd.errors.ParserError as exc:
        raise ConfigError(
            f"{path} is not a well-formed CSV ({exc}): use the unchanged file from the Kaggle "
            "download (download it again if it was cut short)"
        ) from exc
    except LookupError as exc:
        raise ConfigError(
            f"encoding {encoding!r} in STAGE4_SOURCE_URL is unknown to Python: use utf-8 or latin-1"
        ) from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ConfigError(f"{path}: {_layout_problem(frame, key, missing)}")
    return frame


def _layout_problem(frame: pd.DataFrame, key: str, missing: list[str]) -> str:
    """Say why a header is not Olist's: another separator, another Olist file, or just other."""
    header = [str(c) for c in frame.columns]
    name = OLIST_FILES[key][0]
    if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
        return (
            f"the header {header[0]!r} is one column: the file is not comma-separated (re-saved "
            f"by a spreadsheet?); use the original {name} from the Kaggle download"
        )
    for other, (other_name, other_columns) in OLIST_FILES.items():
        if other != key and set(other_columns) <= set(header):
            return (
                f"this is the layout of {other_name}, not of {name}: put the right file under "
                "each name (the Kaggle download has both)"
            )
    return (
        f"lacks column(s) {missing} (has {header[:12]}): this is not Olist's {name}; use the "
        "file from the Kaggle download, unchanged"
    )


def _bad_values(path: Path, column: str, frame: pd.DataFrame, bad: pd.Series, want: str) -> None:
    if bool(bad.any()):
        rows = frame.index[bad.to_numpy()][:3]
        examples = ", ".join(f"line {i + 2}: {frame.at[i, column]!r}" for i in rows)
        raise ConfigError(
            f"{path}: column {column} has {int(bad.sum())} value(s) that are not {want} "
            f"({examples}): use the unchanged Kaggle file"
        )


def _required(path: Path, frame: pd.DataFrame, columns: Sequence[str]) -> None:
    for column in columns:
        _bad_values(path, column, frame, frame[column].isna(), "filled in (Olist fills it)")


def olist_int_ids(hex_ids: pd.Series) -> pd.Series:
    """Olist's 32-hex-digit ids as BIGINT keys: the integer of the first 15 hex digits."""
    prefixes = hex_ids.str.slice(0, 15).tolist()  # one bulk conversion, then plain strings
    return pd.Series([int(h, 16) for h in prefixes], index=hex_ids.index, dtype="int64")


def _hex(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.lower()


def _ids(path: Path, frame: pd.DataFrame, column: str) -> pd.Series:
    values = _hex(frame[column])
    bad = ~values.str.fullmatch(_HEX_ID.pattern).fillna(False).astype(bool)
    _bad_values(path, column, frame, bad, "Olist ids (32 hex digits)")
    return olist_int_ids(values)


def _no_collisions(path: Path, column: str, hex_ids: pd.Series, ints: pd.Series) -> None:
    pairs = pd.DataFrame({"hex": hex_ids.to_numpy(), "int": ints.to_numpy()}).drop_duplicates()
    clash = pairs[pairs["int"].duplicated(keep=False)]
    if len(clash):
        raise ConfigError(
            f"{path}: {column} values {sorted(clash['hex'])[:2]} share their first 15 hex digits, "
            "so they would become one warehouse key: report it (the mapping needs more digits)"
        )


def _centavos(path: Path, frame: pd.DataFrame, column: str) -> pd.Series:
    """BRL decimals as written ("58.90", "7.5", "120") to whole centavos, exactly."""
    text = frame[column].astype("string").str.strip()
    bad = ~text.str.fullmatch(_DECIMAL).fillna(False).astype(bool)
    _bad_values(path, column, frame, bad, "BRL amounts like 58.90 (a dot, at most 2 decimals)")
    two_decimals = text.str.replace(r"^(\d+)$", r"\1.00", regex=True).str.replace(
        r"\.(\d)$", r".\g<1>0", regex=True
    )  # "120" -> "120.00", "7.5" -> "7.50": then the digits without the dot are centavos
    return two_decimals.str.replace(".", "", regex=False).astype("int64")


def _integers(path: Path, frame: pd.DataFrame, column: str) -> pd.Series:
    text = frame[column].astype("string").str.strip()
    bad = ~text.str.fullmatch(r"\d+").fillna(False).astype(bool)
    _bad_values(path, column, frame, bad, "whole numbers")
    return text.astype("int64")


def _files_present(folder: Path) -> None:
    if not folder.is_dir():
        raise ConfigError(
            f"Olist folder {folder} does not exist (STAGE4_SOURCE_URL): {_FETCH_HINT}"
        )
    missing = [name for name, _ in OLIST_FILES.values() if not (folder / name).is_file()]
    if missing:
        zipped = sorted(p.name for p in folder.glob("*.zip"))
        hint = f"unzip {zipped[0]} there first" if zipped else _FETCH_HINT
        raise ConfigError(f"Olist folder {folder} lacks {', '.join(missing)}: {hint}")


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    stats = [(folder / name).stat() for name, _ in OLIST_FILES.values()]
    return tuple(
        (name, s.st_mtime_ns, s.st_size)
        for (name, _), s in zip(OLIST_FILES.values(), stats, strict=True)
    )


def load_olist(folder: Path, *, encoding: str = "utf-8") -> OlistData:
    """Check and parse the Olist files in ``folder`` (cached until a file changes)."""
    folder = folder.expanduser().resolve()
    _files_present(folder)
    return _load_cached(folder, encoding, _signature(folder))


@lru_cache(maxsize=2)
def _load_cached(folder: Path, encoding: str, _signature: object) -> OlistData:
    raw = {key: _read(folder, key, encoding) for key in OLIST_FILES}
    path = {key: folder / name for key, (name, _) in OLIST_FILES.items()}
    return OlistData(
        folder=folder,
        orders=_orders(path["orders"], raw["orders"], _people(path["customers"], raw["customers"])),
        items=_items(path["order_items"], raw["order_items"]),
        payments=_payments(path["payments"], raw["payments"]),
        products=_products(path["products"], raw["products"], raw["translation"]),
    )


def _people(path: Path, customers: pd.DataFrame) -> pd.Series:
    """Olist's per-order ``customer_id`` -> the person's key (from ``customer_unique_id``)."""
    _required(path, customers, ("customer_id", "customer_unique_id"))
    person = _ids(path, customers, "customer_unique_id")
    _no_collisions(path, "customer_unique_id", _hex(customers["customer_unique_id"]), person)
    people = pd.Series(person.to_numpy(), index=_hex(customers["customer_id"]).to_numpy())
    return people[~people.index.duplicated()]


def _orders(path: Path, orders: pd.DataFrame, people: pd.Series) -> pd.DataFrame:
    _required(path, orders, ("order_id", "customer_id", "order_status", "order_purchase_timestamp"))
    order_id = _ids(path, orders, "order_id")
    _no_collisions(path, "order_id", _hex(orders["order_id"]), order_id)
    _bad_values(path, "order_id", orders, order_id.duplicated(), "unique (an order appears twice)")
    purchased = pd.to_datetime(
        orders["order_purchase_timestamp"].str.strip(), format=_TIMESTAMP, errors="coerce"
    )
    _bad_values(
        path, "order_purchase_timestamp", orders, purchased.isna(),
        "timestamps like 2017-10-02 10:56:33",
    )  # fmt: skip
    customer = _hex(orders["customer_id"]).map(people)
    _bad_values(
        path, "customer_id", orders, customer.isna(),
        f"customers listed in {OLIST_FILES['customers'][0]}",
    )  # fmt: skip
    return pd.DataFrame(
        {
            "order_id": order_id,
            "olist_order_id": _hex(orders["order_id"]),
            "customer_id": customer.astype("int64"),
            "status": orders["order_status"].str.strip(),
            "purchased": purchased,
        }
    )


def _items(path: Path, items: pd.DataFrame) -> pd.DataFrame:
    _required(path, items, ("order_id", "order_item_id", "product_id", "price"))
    product_id = _ids(path, items, "product_id")
    _no_collisions(path, "product_id", _hex(items["product_id"]), product_id)
    return pd.DataFrame(
        {
            "order_id": _ids(path, items, "order_id"),
            "line_no": _integers(path, items, "order_item_id"),
            "product_id": product_id,
            "price_centavos": _centavos(path, items, "price"),
        }
    )


def _payments(path: Path, payments: pd.DataFrame) -> pd.DataFrame:
    _required(path, payments, ("order_id", "payment_sequential", "payment_value"))
    return pd.DataFrame(
        {
            "payment_id": np.arange(1, len(payments) + 1, dtype="int64"),  # the file's row
            "order_id": _ids(path, payments, "order_id"),
            "sequential": _integers(path, payments, "payment_sequential"),
            "amount": payments["payment_value"].str.strip(),
            "centavos": _centavos(path, payments, "payment_value"),
            "method": payments["payment_type"].str.strip(),
        }
    )


def _products(path: Path, products: pd.DataFrame, translation: pd.DataFrame) -> pd.DataFrame:
    _required(path, products, ("product_id",))
    names = translation.dropna(subset=["product_category_name"])
    english = dict(
        zip(
            names["product_category_name"].str.strip(),
            names["product_category_name_english"].str.strip(),
            strict=True,
        )
    )
    portuguese = products["product_category_name"].str.strip()
    return pd.DataFrame(
        {
            "product_id": _ids(path, products, "product_id"),
            "name": _hex(products["product_id"]),
            "category": portuguese.map(lambda c: english.get(c, c), na_action="ignore"),
        }
    ).drop_duplicates(subset=["product_id"])
