"""reidlab.tables: the sample standard deviation equals NumPy's and the standard library's, and the
tables line up (every row as long as the header, each header over its column)."""

from __future__ import annotations

import math
import re
import statistics

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reidlab.tables import mean_sd, sample_sd, seed_table

numbers = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
samples = st.lists(numbers, min_size=2, max_size=40)


@given(samples)
def test_sample_sd_equals_numpy_and_statistics(values: list[float]) -> None:
    assert sample_sd(values) == np.std(values, ddof=1) or len(set(values)) == 1
    assert sample_sd(values) == pytest.approx(statistics.stdev(values), rel=1e-9, abs=1e-8)


@given(samples)
def test_mean_sd_is_the_mean_and_the_sample_sd_formatted(values: list[float]) -> None:
    assert mean_sd(values) == f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}"
    assert mean_sd(torch.tensor(values, dtype=torch.float64)) == mean_sd(np.array(values))


def test_edge_cases() -> None:
    assert sample_sd([0.5, 0.7]) == pytest.approx(math.sqrt(0.02))  # two values: |a - b| / sqrt(2)
    assert mean_sd([0.5, 0.7]) == "0.600 ± 0.141"
    assert sample_sd([0.1, 0.1, 0.1]) == 0.0  # exactly, though 0.1 * 3 / 3 is not 0.1
    assert mean_sd([3, 3, 3, 3]) == "3.000 ± 0.000"
    assert sample_sd([-1.0, -3.0]) == pytest.approx(math.sqrt(2))
    assert mean_sd([-1.0, -3.0], "+.2f") == "-2.00 ± 1.41"  # the sd drops the sign of fmt
    assert sample_sd(np.array([1.0, 2.0, 4.0]) + 1e3) == pytest.approx(sample_sd([1.0, 2.0, 4.0]))
    assert mean_sd([0.5, 0.7], "+7.3f") == " +0.600 ± 0.141"
    assert mean_sd([0.5, 0.7], ".0%", sep="±") == "60%±14%"
    assert mean_sd([0.5, 0.7], ".1f", sd_fmt=".4f") == "0.6 ± 0.1414"
    assert mean_sd([torch.tensor(0.5), torch.tensor(0.7)]) == "0.600 ± 0.141"  # a list of 0-d tensors
    assert mean_sd(torch.tensor([0.5, 0.7], requires_grad=True)) == "0.600 ± 0.141"


def test_float32_is_widened_to_float64() -> None:
    x = torch.rand(7, generator=torch.Generator().manual_seed(0))  # float32
    assert sample_sd(x) == np.std(x.numpy().astype(np.float64), ddof=1)


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        ([], ValueError, "values is empty"),
        ([1.0], ValueError, "need at least 2 values for a standard deviation, values has 1"),
        ([1.0, float("nan")], ValueError, "values contains NaN"),
        ([1.0, float("inf")], ValueError, "values contains NaN or infinite"),
        (["0.5", "0.7"], TypeError, "values must be numbers"),
        (None, TypeError, "values must be numbers"),
        ([[1.0], [2.0, 3.0]], TypeError, "values must be numbers"),
        ([[1.0, 2.0], [3.0, 4.0]], ValueError, "values must be 1-D"),
    ],
)
def test_bad_values_are_named(values: object, error: type, message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        sample_sd(values)
    with pytest.raises(error, match=re.escape(message)):
        mean_sd(values)


def test_bad_formats_are_named() -> None:
    with pytest.raises(ValueError, match="fmt 'x' does not format a number"):
        mean_sd([1.0, 2.0], "x")
    with pytest.raises(TypeError, match="fmt must be a format string"):
        mean_sd([1.0, 2.0], 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sd_fmt 'd' does not format a number"):
        mean_sd([1.0, 2.0], sd_fmt="d")


def ends(line: str, pattern: str) -> list[int]:
    """Where each match of ``pattern`` in ``line`` ends."""
    return [m.end() for m in re.finditer(pattern, line)]


def assert_aligned(table: str, heads: list[str], cell: str = r"\S+") -> None:
    """Every row as long as the header, and each cell ending where its column's header ends."""
    header, *rows = table.split("\n")
    assert len({len(line) for line in table.split("\n")}) == 1, table
    at = [header.index(h) + len(h) for h in heads]
    for row in rows:
        assert ends(row, cell)[-len(heads) :] == at, table


def test_a_column_per_seed() -> None:
    table = seed_table({"batch hard": [0.7312, 0.74], "misses": [103, 96]}, seeds=[0, 1])
    lines = table.splitlines()
    assert lines[0].split() == ["seed", "0", "seed", "1"]
    assert lines[1].split() == ["batch", "hard", "0.731", "0.740"]
    assert lines[2].split() == ["misses", "103", "96"]  # ints print as ints
    assert_aligned(table, ["seed 0", "seed 1"])
    assert seed_table({"a": torch.tensor([1, 2])}, [0, 1], fmt=".1f").split() == [
        "seed",
        "0",
        "seed",
        "1",
        "a",
        "1.0",
        "2.0",
    ]


@given(
    st.dictionaries(
        st.text("abc ", min_size=1, max_size=25),
        st.lists(numbers | st.integers(-999, 99999), min_size=3, max_size=3),
        min_size=1,
        max_size=5,
    ),
    st.sampled_from([range(3), range(98, 101), [0, 7, 1000]]),
    st.sampled_from([".3f", ".1f", "+.2f", ".0%"]),
)
def test_seed_columns_line_up(rows: dict[str, list[float]], seeds: range | list[int], fmt: str) -> None:
    rows = {f"x{k}": v for k, v in rows.items()}  # labels start with a letter
    assert_aligned(seed_table(rows, seeds, fmt=fmt), [f"seed {s}" for s in seeds])
    assert_aligned(seed_table(rows, seeds, fmt=fmt, label_width=30, width=12), [f"seed {s}" for s in seeds])


def test_summary_adds_mean_and_sample_sd() -> None:
    a = torch.tensor([0.5, 0.7], dtype=torch.float64)
    table = seed_table({"hinge": a, "logistic": [0.25, 0.5]}, (0, 1), summary=True, label="loss")
    header, *rows = table.split("\n")
    m = header.index("mean")  # the mean ± sd column: left-aligned, three spaces after the seeds
    assert header.startswith("loss") and header[m - 3 :] == "   mean ± sd"
    assert [r[m - 3 :] for r in rows] == ["   0.600 ± 0.141", "   0.375 ± 0.177"]
    assert_aligned("\n".join(line[: m - 3] for line in table.split("\n")), ["seed 0", "seed 1"])


def test_named_columns_hold_mean_and_sd() -> None:
    scores = torch.tensor([[[0.5, 0.8], [0.4, 0.6]], [[0.7, 0.9], [0.6, 0.4]]])  # (seeds, rows, columns)
    rows = {"attention": scores[:, 0], "grid mean": scores[:, 1]}
    table = seed_table(rows, columns=["exact", "per word"], sep="±")
    assert table.split("\n")[1].split() == ["attention", "0.600±0.141", "0.850±0.071"]
    assert_aligned(table, ["exact", "per word"])
    # a header as wide as its column is still two spaces from its neighbour (the old score_table
    # printed "per wordon shape: colour")
    long = seed_table(rows, columns=["per word", "on shape: colour"], sep="±", width=14)
    assert "per word  on shape: colour" in long
    assert_aligned(long, ["per word", "on shape: colour"])
    shares = seed_table(
        {"a": [[0.5, 0.31], [0.7, 0.35]]}, columns=["mAP", "share"], fmt=[".3f", ".0%"], sep="±"
    )
    assert shares.split("\n")[1].split() == ["a", "0.600±0.141", "33%±3%"]


def test_repeated_labels_as_pairs() -> None:
    pairs = [("all", [[0.5], [0.7]]), ("", [[0.1], [0.2]]), ("", [[0.3], [0.4]])]
    table = seed_table(pairs, [0, 1], columns=["mAP"], sep="±", label="queries")
    assert [line.split() for line in table.split("\n")] == [
        ["queries", "mAP"],
        ["all", "0.600±0.141"],
        ["0.150±0.071"],
        ["0.350±0.071"],
    ]
    assert_aligned(table, ["mAP"])


def test_by_seed_turns_the_table_around() -> None:
    table = seed_table(
        {"rank-1 spa": torch.tensor([0.5, 0.25]), "mAP": [0.125, -0.5]}, [0, 100], by_seed=True, fmt=".2f"
    )
    assert table.split("\n") == [
        "seed  rank-1 spa    mAP",
        "   0        0.50   0.12",
        " 100        0.25  -0.50",
    ]
    assert_aligned(table, ["rank-1 spa", "mAP"])


def test_bad_tables_are_named() -> None:
    with pytest.raises(ValueError, match="at least one row"):
        seed_table({}, seeds=[0])
    with pytest.raises(ValueError, match="has 1 values for 2 seeds"):
        seed_table({"a": [1.0]}, seeds=[0, 1])
    with pytest.raises(TypeError, match=r"rows\['a'\] must be numbers"):
        seed_table({"a": ["x", "y"]}, seeds=[0, 1])
    with pytest.raises(ValueError, match=r"rows\['a'\] has shape \(2, 1\), need \(2, 2\)"):
        seed_table({"a": [[1.0], [2.0]]}, [0, 1], columns=["x", "y"])
    with pytest.raises(ValueError, match=r"rows\['a'\] has shape \(2, 1\), need \(3, 1\)"):
        seed_table({"a": [[1.0], [2.0]]}, [0, 1, 2], columns=["x"])
    with pytest.raises(
        ValueError, match=r"need at least 2 values for a standard deviation, rows\['a'\] has 1"
    ):
        seed_table({"a": [[1.0]]}, columns=["x"])
    with pytest.raises(ValueError, match="fmt must be one format or 2"):
        seed_table({"a": [[1.0, 2.0], [3.0, 4.0]]}, columns=["x", "y"], fmt=[".3f"])
    with pytest.raises(ValueError, match="no summary, no by_seed"):
        seed_table({"a": [[1.0], [2.0]]}, columns=["x"], summary=True)
    with pytest.raises(ValueError, match="needs seeds"):
        seed_table({"a": [1.0, 2.0]})
    with pytest.raises(ValueError, match="not both summary and by_seed"):
        seed_table({"a": [1.0, 2.0]}, [0, 1], summary=True, by_seed=True)
