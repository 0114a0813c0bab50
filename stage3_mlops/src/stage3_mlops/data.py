"""Interaction data: a seeded generator with injectable drift, and MovieLens loaders.

Every frame this module returns has the columns ``user_id`` (int64), ``item_id`` (int64) and
``timestamp`` (datetime64[s], UTC), plus ``rating`` for MovieLens. Raw files are never edited.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from stage3_mlops.errors import DataError

__all__ = [
    "INTERACTION_COLUMNS",
    "DriftSpec",
    "GeneratorConfig",
    "generate_interactions",
    "load_movielens",
    "load_movielens_items",
    "validate_interactions",
]

INTERACTION_COLUMNS = ("user_id", "item_id", "timestamp")
_EPOCH = pd.Timestamp("2026-01-05")  # a Monday, so generated weeks line up with calendar weeks


class DriftSpec(BaseModel):
    """What changes from ``start_day`` on; all zeros means stable data."""

    model_config = ConfigDict(frozen=True)

    start_day: int = Field(ge=0, description="first day (0-based) with the drifted behaviour")
    taste_shift: float = Field(
        default=0.0, ge=0, le=1, description="share of users whose taste is re-drawn"
    )
    new_items: int = Field(
        default=0, ge=0, description="items launched on start_day, with high popularity"
    )
    popularity_shock: float = Field(
        default=0.0, ge=0, description="log-boost given to a random 5% of the existing items"
    )


class GeneratorConfig(BaseModel):
    """Shape of the generated implicit feedback (users × items × time)."""

    model_config = ConfigDict(frozen=True)

    n_users: int = Field(default=500, ge=2)
    n_items: int = Field(default=300, ge=2)
    n_days: int = Field(default=56, ge=1)
    n_factors: int = Field(default=8, ge=1, description="dimension of the latent tastes")
    daily_active_share: float = Field(
        default=0.25, gt=0, le=1, description="mean share of users active a day"
    )
    events_per_session: float = Field(
        default=3.0, ge=1, description="mean interactions of an active user a day"
    )
    taste_strength: float = Field(
        default=3.0, ge=0, description="how much latent taste beats popularity"
    )
    popularity_exponent: float = Field(
        default=1.0, ge=0, description="Zipf exponent of item popularity"
    )
    seed: int = 0
    drift: DriftSpec | None = None


def generate_interactions(config: GeneratorConfig | None = None) -> pd.DataFrame:
    """Implicit feedback with latent structure, popularity skew and optional drift.

    Each day every user is active with their own probability; an active user picks a few items
    they have not picked before, by ``taste · item + log(popularity)`` (Gumbel-max sampling), so
    a recommender that learns tastes beats the popularity baseline, as on real data.

    **Usage**::

        df = generate_interactions(GeneratorConfig(n_users=200, n_items=100, n_days=28, seed=1))
    """
    cfg = config or GeneratorConfig()
    rng = np.random.default_rng(cfg.seed)
    drift = cfg.drift
    n_new = drift.new_items if drift else 0
    n_items = cfg.n_items + n_new
    # launched items draw from their own stream, so a drifted world matches the stable one
    # exactly before start_day (same seed → same history; only the future differs)
    rng_new = np.random.default_rng([cfg.seed, 1])
    users = rng.normal(size=(cfg.n_users, cfg.n_factors)) / np.sqrt(cfg.n_factors)
    items = np.vstack(
        [
            rng.normal(size=(cfg.n_items, cfg.n_factors)),
            rng_new.normal(size=(n_new, cfg.n_factors)),
        ]
    )
    ranks = rng.permutation(cfg.n_items) + 1
    pop_logit = np.full(n_items, -np.inf)
    pop_logit[: cfg.n_items] = -cfg.popularity_exponent * np.log(ranks)
    activity = np.clip(rng.lognormal(0.0, 0.6, cfg.n_users), 0.05, None)
    activity = np.clip(activity / activity.mean() * cfg.daily_active_share, 0.0, 1.0)
    seen = np.zeros((cfg.n_users, n_items), dtype=bool)
    rows: list[np.ndarray] = []
    for day in range(cfg.n_days):
        if drift is not None and day == drift.start_day:
            users, pop_logit = _apply_drift(rng, drift, cfg, users, pop_logit)
        active = np.flatnonzero(rng.random(cfg.n_users) < activity)
        if active.size == 0:
            continue
        n_events = 1 + rng.poisson(cfg.events_per_session - 1, active.size)
        scores = cfg.taste_strength * users[active] @ items.T + pop_logit
        noise = rng.gumbel(size=(active.size, cfg.n_items))
        if n_new:
            noise = np.hstack([noise, rng_new.gumbel(size=(active.size, n_new))])
        scores = np.where(seen[active], -np.inf, scores) + noise
        order = np.argsort(-scores, axis=1)
        for row, user in enumerate(active):
            picks = [i for i in order[row, : n_events[row]] if np.isfinite(scores[row, i])]
            if not picks:
                continue
            seen[user, picks] = True
            seconds = np.sort(rng.integers(0, 86_400, len(picks)))
            rows.append(np.column_stack([np.full(len(picks), user), picks, day * 86_400 + seconds]))
    data = np.concatenate(rows) if rows else np.empty((0, 3), dtype=np.int64)
    frame = pd.DataFrame(
        {
            "user_id": data[:, 0].astype(np.int64),
            "item_id": data[:, 1].astype(np.int64),
            "timestamp": _EPOCH + pd.to_timedelta(data[:, 2], unit="s"),
        }
    )
    frame["timestamp"] = frame["timestamp"].astype("datetime64[s]")
    return frame.sort_values(["timestamp", "user_id"], kind="stable").reset_index(drop=True)


def _apply_drift(
    rng: np.random.Generator,
    drift: DriftSpec,
    cfg: GeneratorConfig,
    users: np.ndarray,
    pop_logit: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    users = users.copy()
    pop_logit = pop_logit.copy()
    if drift.taste_shift > 0:
        moved = rng.random(cfg.n_users) < drift.taste_shift
        users[moved] = rng.normal(size=(int(moved.sum()), cfg.n_factors)) / np.sqrt(cfg.n_factors)
    if drift.popularity_shock > 0:
        shocked = rng.choice(cfg.n_items, size=max(1, cfg.n_items // 20), replace=False)
        pop_logit[shocked] += drift.popularity_shock
    if drift.new_items:
        # launched items enter as popular as the current top item: a catalogue refresh
        pop_logit[cfg.n_items :] = float(np.max(pop_logit[: cfg.n_items]))
    return users, pop_logit


def load_movielens(path: str | Path, *, min_rating: float | None = None) -> pd.DataFrame:
    """Read MovieLens ratings from a local path: ``u.data`` (ML-100K), ``ratings.dat``
    (ML-1M/10M, ``::``-separated) or ``ratings.csv`` (ML-latest/20M/25M).

    ``min_rating`` keeps only ratings at or above it (e.g. 4 for "liked" as implicit positives).
    Nothing is downloaded: pass the file you have (or its folder). Titles are in another file:
    see :func:`load_movielens_items`.
    """
    file = _movielens_file(path, ("u.data", "ratings.dat", "ratings.csv"), what="ratings")
    if file.name == "u.data":
        raw = pd.read_csv(file, sep="\t", names=["user_id", "item_id", "rating", "timestamp"])
    elif file.suffix == ".dat":
        # "1::1193::5::978300760": split on ":" with the fast C reader and keep every other
        # field (a two-character separator would need pandas' slow Python engine)
        raw = pd.read_csv(file, sep=":", header=None, usecols=[0, 2, 4, 6], engine="c").set_axis(
            ["user_id", "item_id", "rating", "timestamp"], axis=1
        )
    else:
        raw = pd.read_csv(file).rename(
            columns={"userId": "user_id", "movieId": "item_id", "rating": "rating"}
        )
    missing = {"user_id", "item_id", "rating", "timestamp"} - set(raw.columns)
    if missing:
        raise DataError(f"{file}: missing columns {sorted(missing)}")
    try:
        frame = pd.DataFrame(
            {
                "user_id": raw["user_id"].astype(np.int64),
                "item_id": raw["item_id"].astype(np.int64),
                "timestamp": pd.to_datetime(raw["timestamp"], unit="s").astype("datetime64[s]"),
                "rating": raw["rating"].astype(float),
            }
        )
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"{file}: not in the MovieLens ratings layout (integer user and item ids, a "
            f"rating, a Unix timestamp per line): {exc}"
        ) from None
    if min_rating is not None:
        frame = frame[frame["rating"] >= min_rating]
    return frame.sort_values(["timestamp", "user_id"], kind="stable").reset_index(drop=True)


def load_movielens_items(path: str | Path) -> pd.DataFrame:
    """Movie titles: ``u.item`` (ML-100K, Latin-1, ``|``), ``movies.dat`` (ML-1M/10M, ``::``)
    or ``movies.csv`` (UTF-8).

    Returns ``item_id`` (int64), ``title`` and ``genres`` (``|``-joined genre names).
    """
    file = _movielens_file(path, ("u.item", "movies.dat", "movies.csv"), what="titles")
    if file.name == "u.item":
        # ML-100K's u.item is Latin-1 (e.g. "Misérables, Les (1995)"): UTF-8 fails on it
        raw = pd.read_csv(
            file, sep="|", header=None, encoding="latin-1", names=list(range(24)), dtype=str
        )
        if raw[1].isna().all():
            raise DataError(f"{file}: not in the u.item layout (id|title|date|...|19 genre flags)")
        flags = raw[list(range(5, 24))].fillna("0") == "1"
        genres = [
            "|".join(name for name, on in zip(_ML100K_GENRES, row, strict=True) if on)
            for row in flags.to_numpy()
        ]
        frame = pd.DataFrame({"item_id": raw[0], "title": raw[1], "genres": genres})
    elif file.suffix == ".dat":
        frame = _read_movies_dat(file)
    else:
        frame = pd.read_csv(file).rename(columns={"movieId": "item_id"})
        if not {"item_id", "title"} <= set(frame.columns):
            raise DataError(f"{file}: expected columns movieId,title,genres")
        frame = frame.reindex(columns=["item_id", "title", "genres"])
    try:
        frame["item_id"] = frame["item_id"].astype(np.int64)
    except (ValueError, TypeError) as exc:
        raise DataError(f"{file}: item ids must be integers: {exc}") from None
    return frame.reset_index(drop=True)


def _read_movies_dat(file: Path) -> pd.DataFrame:
    """``1::Toy Story (1995)::Animation|Children's|Comedy``; titles hold ":" so split twice.

    ML-1M's file is Latin-1, ML-10M's UTF-8: UTF-8 is tried first.
    """
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = file.read_text(encoding="latin-1")
    rows = [line.split("::") for line in text.splitlines() if line.strip()]
    if not rows or any(len(row) != 3 for row in rows):
        raise DataError(f"{file}: not in the movies.dat layout (id::title::genres on each line)")
    return pd.DataFrame(rows, columns=["item_id", "title", "genres"])


_ML100K_GENRES = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
]


def _movielens_file(path: str | Path, names: tuple[str, ...], *, what: str) -> Path:
    """The MovieLens file holding ``what`` at ``path`` (a file or a folder), or a DataError."""
    file = Path(path)
    if file.is_dir():
        found = [file / name for name in names if (file / name).exists()]
        if not found:
            raise DataError(f"{file}: no {' or '.join(names)} inside; pass the file itself")
        file = found[0]
    if not file.exists():
        raise DataError(
            f"MovieLens file {file} does not exist; download it yourself and pass its path"
        )
    title_files = ("u.item", "movies.csv", "movies.dat", "tags.csv", "links.csv")
    if file.name in names or (
        what == "ratings" and file.suffix == ".csv" and file.name not in title_files
    ):
        return file  # ratings may come under another .csv name (e.g. ratings_small.csv)
    hint = {
        "u.item": "u.item holds titles: read it with load_movielens_items()",
        "movies.csv": "movies.csv holds titles: read it with load_movielens_items()",
        "movies.dat": "movies.dat holds titles: read it with load_movielens_items()",
        "ratings.dat": "ratings.dat holds ratings: read it with load_movielens()",
        "u.data": "u.data holds ratings: read it with load_movielens()",
        "ratings.csv": "ratings.csv holds ratings: read it with load_movielens()",
    }.get(file.name, f"other MovieLens files ({file.name}) are not read")
    raise DataError(f"{file}: expected {' or '.join(names)} for {what}; {hint}")


def validate_interactions(frame: object, *, name: str = "interactions") -> pd.DataFrame:
    """Check that ``frame`` is an interactions DataFrame and return it with normalised dtypes."""
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"{name} must be a pandas DataFrame with columns {list(INTERACTION_COLUMNS)}, "
            f"got {type(frame).__name__}"
        )
    missing = [c for c in INTERACTION_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{name} lacks columns {missing}; expected {list(INTERACTION_COLUMNS)} "
            "(rename your columns, e.g. userId → user_id)"
        )
    if frame.empty:
        raise DataError(f"{name} is empty; pass at least one interaction")
    out = frame.copy()
    out["user_id"] = out["user_id"].astype(np.int64)
    out["item_id"] = out["item_id"].astype(np.int64)
    out["timestamp"] = pd.to_datetime(out["timestamp"]).astype("datetime64[s]")
    return out
