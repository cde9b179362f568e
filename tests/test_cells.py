"""cells.safe_frame: formula-like text neutralised, text columns checked at once."""

from __future__ import annotations

import numpy as np
import pandas as pd

from govtext.cells import neutralise, safe_frame


def _mapped(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell through ``neutralise``, as safe_frame did before it looked at
    text columns as a whole (issue 20)."""
    out = frame.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def test_safe_frame_equals_every_cell_mapped() -> None:
    frames = [
        pd.DataFrame({"t": ["省", "=SUM(A1)", None, "-1", "@x", "\tx", "+"], "n": range(7)}),
        pd.DataFrame({"t": ["省", "市", None], "=c": [1.5, None, -2.0]}),  # no formula: kept as is
        pd.DataFrame(
            {"o": pd.Series(["=x", 1, np.nan], dtype=object), "p": pd.Series([1, 2, 3], dtype=object)}
        ),
        pd.DataFrame(
            {"c": pd.Categorical(["a", "+b", "a"]), "e": pd.Series([], dtype=str).reindex(range(3))}
        ),
        pd.DataFrame({"t": pd.Series([], dtype=str)}),
    ]
    for frame in frames:
        before = frame.copy()
        got, want = safe_frame(frame), _mapped(frame)
        pd.testing.assert_frame_equal(got, want)
        assert list(got.dtypes) == list(want.dtypes)
        pd.testing.assert_frame_equal(frame, before)  # the frame given is left alone
    assert safe_frame(frames[0])["t"].tolist()[1] == "'=SUM(A1)"
