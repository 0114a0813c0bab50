"""A correct solution in another style (pandas chunks, vectorised parsing)."""

import pandas as pd


def process_large_log(file_path: str, chunk_size: int = 10000):
    parts = []
    reader = pd.read_csv(
        file_path,
        header=None,
        names=["line"],
        sep="\x01",
        chunksize=chunk_size,
        dtype=str,
        keep_default_na=False,
        quoting=3,
        engine="c",
    )
    for chunk in reader:
        f = chunk["line"].str.split(n=4, expand=True)
        if f.shape[1] < 4:
            continue
        f = f[f[1] == "ERROR"]
        ts = pd.to_datetime(f[0], format="%Y-%m-%dT%H:%M:%SZ", errors="coerce")
        lat = pd.to_numeric(f[3].where(f[3].str.fullmatch(r"\d+", na=False)), errors="coerce")
        ok = ts.notna() & lat.notna()
        g = (
            pd.DataFrame({"hour": ts[ok].dt.floor("h"), "lat": lat[ok]})
            .groupby("hour")["lat"]
            .agg(["count", "sum", "max"])
        )
        parts.append(g)
    if not parts:
        return pd.DataFrame(columns=["hour", "error_count", "mean_latency_ms", "max_latency_ms"])
    allp = pd.concat(parts)
    m = allp.groupby(level=0).agg({"count": "sum", "sum": "sum", "max": "max"})
    out = pd.DataFrame(
        {
            "hour": m.index,
            "error_count": m["count"].astype(int).values,
            "mean_latency_ms": (m["sum"] / m["count"]).values,
            "max_latency_ms": m["max"].values,
        }
    )
    return out.sort_values("hour").reset_index(drop=True)
