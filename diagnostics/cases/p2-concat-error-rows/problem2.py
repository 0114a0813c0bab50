"""Problem 2 with pandas chunks: filter each chunk, group all the errors at the end."""

import pandas as pd


def process_large_log(file_path: str, chunk_size: int = 10000):
    errors = []
    reader = pd.read_csv(
        file_path, header=None, names=["line"], sep="\x01", chunksize=chunk_size,
        dtype=str, keep_default_na=False, quoting=3,
    )
    for chunk in reader:
        fields = chunk["line"].str.split(n=4, expand=True)
        if fields.shape[1] < 4:
            continue
        fields = fields[(fields[1] == "ERROR") & fields[3].str.fullmatch(r"\d+", na=False)]
        when = pd.to_datetime(fields[0], format="%Y-%m-%dT%H:%M:%SZ", errors="coerce")
        errors.append(pd.DataFrame({"hour": when.dt.floor("h"), "latency": fields[3].astype(int)}).dropna())
    columns = ["hour", "error_count", "mean_latency_ms", "max_latency_ms"]
    if not errors:
        return pd.DataFrame(columns=columns)
    every_error = pd.concat(errors)
    result = every_error.groupby("hour")["latency"].agg(["count", "mean", "max"]).reset_index()
    result.columns = columns
    return result
