import gzip
import json

import pandas as pd
import pytest

from tests.conftest import office_path
from unisid.data import dataset_stats, export_lcrec, load_dataset
from unisid.errors import UnisidError


def _write_lcrec(tmp_path, inters, items, name="Toy"):
    (tmp_path / f"{name}.inter.json").write_text(json.dumps(inters))
    (tmp_path / f"{name}.item.json").write_text(json.dumps(items))
    return tmp_path


ITEMS = {str(i): {"title": f"item {i}", "description": "", "brand": "b", "categories": "A, B"} for i in range(6)}


def test_lcrec_roundtrip(tmp_path):
    (tmp_path / "src").mkdir()
    src = _write_lcrec(tmp_path / "src", {"u1": [0, 1, 2, 3], "u2": [3, 4, 5], "u3": [1, 2]}, ITEMS)
    ds = load_dataset(src)
    assert ds.n_users == 2 and ds.dropped_users == 1  # u3 has < 3 interactions
    assert ds.user_ids == ["u1", "u2"]
    assert ds.items[ds.item_ids.index("4")].title == "item 4"
    out = export_lcrec(ds, tmp_path / "out")
    back = load_dataset(out)
    assert back.n_interactions == ds.n_interactions == 7
    assert [ds.item_ids[i] for i in ds.sequences[1]] == ["3", "4", "5"]
    mapping = dict(line.split("\t") for line in (out / "Toy.item2id").read_text().splitlines())
    assert [back.item_ids[i] for i in back.sequences[1]] == [mapping[x] for x in ["3", "4", "5"]]


def test_missing_item_is_an_error(tmp_path):
    _write_lcrec(tmp_path, {"u1": [0, 1, 99]}, ITEMS)
    with pytest.raises(UnisidError, match="'99'.*missing from the item table"):
        load_dataset(tmp_path)


def test_malformed_json_names_file_and_position(tmp_path):
    _write_lcrec(tmp_path, {"u1": [0, 1, 2]}, ITEMS)
    (tmp_path / "Toy.inter.json").write_text('{"u1": [0, 1,, 2]}')
    with pytest.raises(UnisidError, match=r"Toy\.inter\.json at line 1 column 14"):
        load_dataset(tmp_path)


def _amazon_2014(tmp_path, gz=True):
    rows = []
    # user a..f, items p..s; one duplicate; one user with 2 items (dropped by 3-core)
    t = 0
    for u in "abcdef":
        for it in "pqrs":
            t += 1
            rows.append({"reviewerID": u, "asin": it, "unixReviewTime": 1000 - t, "overall": 5})
    rows.append({"reviewerID": "a", "asin": "p", "unixReviewTime": 5000})  # duplicate, later
    rows.append({"reviewerID": "g", "asin": "p", "unixReviewTime": 1})
    rows.append({"reviewerID": "g", "asin": "z", "unixReviewTime": 2})  # z: single interaction
    opener = gzip.open if gz else open
    with opener(tmp_path / ("reviews_Toys_5.json" + (".gz" if gz else "")), "wt") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    with opener(tmp_path / ("meta_Toys.json" + (".gz" if gz else "")), "wt") as f:
        for it in "pqrs":  # 2014 meta is a Python literal, not JSON
            f.write(repr({"asin": it, "title": f"Title {it}", "categories": [["Toys", "Cars"]], "brand": "X"}) + "\n")


def test_amazon_2014_kcore_dedup_time_order(tmp_path):
    _amazon_2014(tmp_path)
    with pytest.raises(UnisidError, match="no user has at least"):
        load_dataset(tmp_path)  # default 5-core removes everything (4 items per user)
    from unisid.config import DataConfig

    ds = load_dataset(tmp_path, DataConfig(kcore=3))
    assert sorted(ds.user_ids) == list("abcdef")  # g removed by 3-core (and z with it)
    assert ds.n_items == 4
    seq_a = [ds.item_ids[i] for i in ds.sequences[ds.user_ids.index("a")]]
    assert seq_a == ["s", "r", "q", "p"]  # ordered by time (reverse of file order), duplicate dropped
    assert ds.items[ds.item_ids.index("q")].categories == "Toys, Cars"
    assert ds.items[ds.item_ids.index("q")].title == "Title q"


def test_amazon_2023(tmp_path):
    with open(tmp_path / "Toys.jsonl", "w") as f:
        for u in range(4):
            for k, it in enumerate(["A1", "B2", "C3"]):
                f.write(json.dumps({"user_id": f"U{u}", "parent_asin": it, "timestamp": 10 * k + u}) + "\n")
    with open(tmp_path / "meta_Toys.jsonl", "w") as f:
        f.write(json.dumps({"parent_asin": "A1", "title": "Alpha", "store": "S", "categories": ["Toys"],
                            "description": ["line one", "line two"]}) + "\n")
    from unisid.config import DataConfig

    ds = load_dataset(tmp_path, DataConfig(kcore=3))
    assert ds.n_users == 4 and ds.n_items == 3
    a1 = ds.items[ds.item_ids.index("A1")]
    assert (a1.title, a1.brand, a1.description) == ("Alpha", "S", "line one, line two")
    assert ds.items[ds.item_ids.index("B2")].title == ""  # no metadata: empty text


def test_amazon_kcore_5_is_iterative(tmp_path):
    from unisid.data.amazon import kcore

    triples = [(f"u{u}", f"i{i}", 0.0) for u in range(5) for i in range(5)]
    triples += [("u5", "i0", 0.0), ("u5", "i1", 0.0), ("u5", "i2", 0.0), ("u5", "i3", 0.0), ("u5", "x", 0.0)]
    # x has 1 interaction -> removed; then u5 has 4 -> removed
    kept = kcore(triples, 5)
    assert {u for u, _, _ in kept} == {f"u{u}" for u in range(5)}
    assert len(kept) == 25


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_tables(tmp_path, fmt):
    inter = pd.DataFrame({"user_id": ["a"] * 3 + ["b"] * 4, "item_id": ["1", "2", "3", "3", "2", "2", "1"],
                          "timestamp": [3, 2, 1, 1, 2, 3, 4]})
    items = pd.DataFrame({"item_id": ["1", "2", "3"], "title": ["one", "two", "three"]})
    write = (lambda df, p: df.to_csv(p, index=False)) if fmt == "csv" else (lambda df, p: df.to_parquet(p))
    write(inter, tmp_path / f"interactions.{fmt}")
    write(items, tmp_path / f"items.{fmt}")
    ds = load_dataset(tmp_path)
    assert [ds.item_ids[i] for i in ds.sequences[ds.user_ids.index("a")]] == ["3", "2", "1"]
    assert [ds.item_ids[i] for i in ds.sequences[ds.user_ids.index("b")]] == ["3", "2", "1"]  # dup removed
    assert ds.items[ds.item_ids.index("2")].title == "two"


def test_missing_path():
    with pytest.raises(UnisidError, match="path not found"):
        load_dataset("/nonexistent/place")


def test_office_stats():
    ds = load_dataset(office_path())
    st = dataset_stats(ds)
    assert (st["users"], st["items"], st["interactions"]) == (4905, 2420, 53258)
    assert len(ds.content_hash()) == 64
