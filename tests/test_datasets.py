"""The data layer: names, loading, provenance, codebooks, validation, errors that teach."""
import pandas as pd
import pytest

import casekit
from casekit import schemas
from casekit.datasets import metadata

CONTRACT = {
    "firms": ["firm", "name_zh", "name_en", "founded", "ip_count", "business_model", "collaboration_mode"],
    "interviews": ["firm", "department", "person_times", "minutes", "words_10k"],
    "stages": ["firm", "order", "name_zh", "name_en", "start_year", "end_year", "rd_activity_zh",
               "rd_activity_en", "marketing_activity_zh", "marketing_activity_en", "interaction_zh",
               "interaction_en", "interaction_depth", "lead", "capability_zh", "capability_en"],
    "evidence": ["firm", "stage_order", "dimension", "construct_zh", "construct_en", "concept_zh",
                 "concept_en", "summary_en", "summary_zh"],
    "innovation_paths": ["path", "order", "name_zh", "name_en", "used_in_qingdao"],
    "qingdao_events": ["firm", "path", "year", "event_zh", "event_en"],
    "srdi_statistics": ["source", "claim_zh", "claim_en", "value", "unit", "as_of", "source_type"],
}
NAMES = casekit.dataset_names()


def test_contract_datasets_exist():
    missing = [n for n in CONTRACT if n not in NAMES]
    assert not missing, f"contract datasets missing: {missing}"


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_contract_columns(name):
    df = casekit.load_dataset(name)
    assert set(CONTRACT[name]) <= set(df.columns)
    assert len(df) > 0


@pytest.mark.parametrize("name", NAMES)
def test_every_dataset_valid_with_provenance_and_codebook(name):
    df = casekit.load_dataset(name)
    assert schemas.validate_dataset(name, df) == []
    src = df.attrs["source"]
    assert src["documents"] and src["location"] and src["source_type"]
    assert set(df.attrs["codebook"]) == set(df.columns)
    for col, doc in df.attrs["codebook"].items():
        assert doc["en"].strip() and doc["zh"].strip(), col
        assert any("\u4e00" <= ch <= "\u9fff" for ch in doc["zh"]), f"{name}.{col}: zh codebook line has no Chinese"
    # every bilingual label has both twins
    for col in df.columns:
        if col.endswith("_zh"):
            assert col[:-3] + "_en" in df.columns, f"{name}.{col} has no English twin"
        if col.endswith("_en"):
            assert col[:-3] + "_zh" in df.columns, f"{name}.{col} has no Chinese twin"


@pytest.mark.parametrize("name", NAMES)
def test_illustrative_is_declared(name):
    df = casekit.load_dataset(name)
    cites = df["cite"].astype(str).str.lower()
    if cites.str.contains("illustrative").any():
        assert df.attrs["source"]["illustrative"], f"{name} has illustrative rows but is not declared illustrative"


def test_cross_references():
    assert schemas.check_cross_references() == []


def test_validate_all_passes():
    schemas.validate_all()


def test_cross_reference_breakage_is_reported(monkeypatch):
    from casekit import datasets

    real = datasets.load_dataset

    def fake(name):
        df = real(name)
        if name == "stages":
            df = df.astype({"firm": str})
            df.loc[0, "firm"] = "acme"
        return df

    monkeypatch.setattr(datasets, "load_dataset", fake)
    problems = schemas.check_cross_references()
    assert any("acme" in p and "firms" in p for p in problems)


def test_row_schema_reports_field_value_and_rule():
    df = casekit.load_dataset("stages").astype({"lead": str})
    df.loc[1, "lead"] = "finance"
    df.loc[2, "interaction_depth"] = 7
    problems = schemas.validate_dataset("stages", df)
    assert any("'lead'" in p and "'finance'" in p and "rd" in p for p in problems)
    assert any("interaction_depth" in p and "7" in p for p in problems)


def test_load_returns_new_objects():
    a = casekit.load_dataset("stages")
    a.loc[0, "name_en"] = "changed"
    assert casekit.load_dataset("stages").loc[0, "name_en"] != "changed"


def test_provenance_is_shared_read_only_and_says_how_to_keep_notes():
    """pandas deep-copies attrs into every column and slice; a dataset's provenance is shared
    instead, so an edit is refused with a message (it would change every table of the dataset)."""
    import copy
    import pickle

    df = casekit.load_dataset("stages")
    col = df.iloc[:, 0]
    rows = df[df["order"] > 1]
    assert col.attrs["codebook"] is df.attrs["codebook"] is rows.attrs["codebook"]
    assert copy.deepcopy(df.attrs)["source"] is df.attrs["source"]
    assert df.attrs["source"]["documents"] == ["000"]
    edits = [lambda: df.attrs["source"].update(documents=["x"]),
             lambda: df.attrs["source"]["documents"].append("x"),
             lambda: df.attrs["quirks"].pop(),
             lambda: df.attrs["codebook"].__setitem__("firm", {}),
             lambda: df.attrs["codebook"]["firm"].__delitem__("en")]
    for edit in edits:
        with pytest.raises(casekit.CasekitError, match="read-only.*dict\\(df.attrs"):
            edit()
    assert casekit.load_dataset("stages").attrs["source"]["documents"] == ["000"]   # nothing changed
    df.attrs["my_note"] = "mine"              # the top level is the reader's own dict
    notes = dict(df.attrs["source"])
    notes["documents"] = ["mine"]             # and a copy is theirs to change
    assert "my_note" not in casekit.load_dataset("stages").attrs
    again = pickle.loads(pickle.dumps(df))
    assert again.attrs["codebook"] == df.attrs["codebook"] and again.attrs["source"]["documents"] == ["000"]


def test_ids_are_categories_and_stage_order_sorts():
    df = casekit.load_dataset("stages")
    assert isinstance(df["firm"].dtype, pd.CategoricalDtype)
    assert df.groupby("firm", observed=True).size().to_dict() == {"keda": 3, "zhongtu": 3}


def test_unknown_name_lists_available_names_and_suggests():
    with pytest.raises(casekit.CasekitError) as exc:
        casekit.load_dataset("stagez")
    msg = str(exc.value)
    assert "'stages'" in msg and "Available names" in msg
    # issue 16: messages stay short (33 names are 576 characters), so some names and where to find all
    assert len(msg) <= 500 and "casekit.dataset_names()" in msg
    assert NAMES[0] in msg


def test_dataframe_instead_of_name_says_what_to_do():
    df = casekit.load_dataset("firms")
    with pytest.raises(casekit.CasekitError, match="DataFrame.*use that DataFrame directly"):
        casekit.load_dataset(df)


def test_non_string_name():
    with pytest.raises(casekit.CasekitError, match="string"):
        casekit.load_dataset(3)


def test_name_is_forgiving_about_case_and_extension():
    assert len(casekit.load_dataset("Firms.csv")) == len(casekit.load_dataset("firms"))


def test_codebook_in_both_languages():
    en = casekit.codebook("stages")
    assert list(en.columns) == ["column", "type", "description"]
    assert len(en) == len(casekit.load_dataset("stages").columns)
    casekit.set_language("zh")
    zh = casekit.codebook("stages")
    assert list(zh.columns) == ["列", "类型", "说明"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh["说明"].iloc[0])


def test_table_follows_language():
    en = casekit.table("firms")
    assert "name" in en.columns and "name_zh" not in en.columns
    assert set(en["name"]) == set(casekit.load_dataset("firms")["name_en"])
    casekit.set_language("zh")
    zh = casekit.table("firms")
    names_zh = set(casekit.load_dataset("firms")["name_zh"])
    assert any(set(zh[c].astype(str)) == names_zh for c in zh.columns)
    assert all(not c.endswith(("_en", "_zh")) for c in zh.columns)
    assert "名称" in "".join(zh.columns) or any("\u4e00" <= ch <= "\u9fff" for ch in "".join(zh.columns))


def test_table_unknown_column_lists_columns():
    with pytest.raises(casekit.CasekitError, match="The table contains these columns"):
        casekit.table("firms", columns=["nmae"])


def test_table2_word_count_quirk_is_visible():
    df = casekit.load_dataset("interviews")
    quirks = " ".join(q["en"] + q["zh"] for q in df.attrs["quirks"])
    assert "18.8" in quirks and "19.8" in quirks and "15.3" in quirks and "15.5" in quirks
    sums = df.groupby("firm", observed=True)["words_10k"].sum().round(1).to_dict()
    assert sums == {"keda": 19.8, "zhongtu": 15.5}  # the table's rows, kept as printed


def test_stage_quirks_recorded():
    quirks = " ".join(q["en"] for q in casekit.load_dataset("stages").attrs["quirks"])
    assert "2016" in quirks and "4.1.3" in quirks


def test_srdi_statistics_source_types_cover_the_three_kinds():
    df = casekit.load_dataset("srdi_statistics")
    assert {"peer_reviewed", "vendor_blog"} <= set(df["source_type"].astype(str))
    # seed 000's introduction: 12 668 national little giants, 1 187 single champions (Oct 2023)
    vals = set(df["value"].astype(float))
    assert 12668 in vals and 1187 in vals


def test_metadata_rejects_malformed_yaml(tmp_path, monkeypatch):
    from casekit import datasets

    (tmp_path / "bad.csv").write_text("a,cite\n1,x\n", encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("title_en: x\ncolumns: {}\n", encoding="utf-8")
    monkeypatch.setattr(datasets, "DATA_DIR", tmp_path)
    datasets.metadata.cache_clear()
    try:
        with pytest.raises(casekit.CasekitError, match="bad.yaml is malformed"):
            datasets.metadata("bad")
    finally:
        datasets.metadata.cache_clear()


def test_labels_read_with_the_csv_module_match_the_typed_tables():
    """_term_labels reads only the id and name columns with the csv module (fast); what it finds is
    exactly what the typed, validated tables hold, in the same order."""
    from casekit import datasets

    ref: dict = {}
    g = datasets._read("glossary")
    for i, en, zh in zip(g["id"].astype(str), g["en"].astype(str), g["zh"].astype(str)):
        ref[i] = (en, zh)
    for name in casekit.dataset_names():
        df = datasets._read(name)
        if {"name_en", "name_zh"} <= set(df.columns):
            for k, en, zh in zip(df.iloc[:, 0].astype(str), df["name_en"], df["name_zh"]):
                ref.setdefault(k, (str(en), str(zh)))
    got = datasets._term_labels()
    assert list(got.items()) == list(ref.items()) and len(got) > 300


def test_labels_from_a_ragged_csv_are_read_the_usual_way(tmp_path, monkeypatch):
    """A row of the wrong length is left to pandas (which says what is wrong, or reads a short row
    as it always did): the fast reader never guesses."""
    import shutil

    from casekit import datasets

    for name in ("glossary", "units"):
        for ext in ("csv", "yaml"):
            shutil.copy(datasets.DATA_DIR / f"{name}.{ext}", tmp_path / f"{name}.{ext}")
    (tmp_path / "things.csv").write_text("thing,name_en,name_zh\nrobot,Robot,机器人\nlathe,Lathe\n", encoding="utf-8")
    (tmp_path / "things.yaml").write_text((datasets.DATA_DIR / "units.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert datasets._plain_columns("glossary", ("id", "en", "zh"))
    monkeypatch.setattr(datasets, "DATA_DIR", tmp_path)
    datasets.metadata.cache_clear()
    try:
        assert datasets._plain_columns("things", (None, "name_en", "name_zh")) is None
        assert datasets._plain_columns("units", (None, "name_en", "name_zh")) == []
        typed = datasets._read("things")   # the usual reading of this file, whatever it makes of the short row
        labels = datasets._term_labels()
        assert labels["robot"] == ("Robot", "机器人")
        assert labels["lathe"] == (str(typed["name_en"][1]), str(typed["name_zh"][1]))
    finally:
        datasets.metadata.cache_clear()


def test_dataset_names_follow_files_added_and_removed(tmp_path, monkeypatch):
    """dataset_names() lists the folder again when it changes (it is cached between changes)."""
    import os
    import time

    from casekit import datasets

    monkeypatch.setattr(datasets, "DATA_DIR", tmp_path)
    assert datasets.dataset_names() == []
    (tmp_path / "a.csv").write_text("x\n1\n", encoding="utf-8")
    assert datasets.dataset_names() == []                   # a csv without its provenance is not a dataset
    (tmp_path / "a.yaml").write_text("x: 1\n", encoding="utf-8")
    assert datasets.dataset_names() == ["a"]
    old = time.time() - 60                                   # an old folder: the cached listing is used ...
    os.utime(tmp_path, (old, old))
    assert datasets.dataset_names() == ["a"]
    (tmp_path / "b.csv").write_text("x\n1\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("x: 1\n", encoding="utf-8")
    assert datasets.dataset_names() == ["a", "b"]            # ... until the folder changes
    os.utime(tmp_path, (old, old))
    (tmp_path / "a.yaml").unlink()
    assert datasets.dataset_names() == ["b"]
    names = datasets.dataset_names()
    names.append("mine")                                     # the caller's own list
    assert datasets.dataset_names() == ["b"]


def test_records_is_to_dict_records_value_for_value():
    """datasets.records (one pass) gives what DataFrame.to_dict("records") gives: same keys in the
    same order, same values of the same types, missing values as pandas gives them."""
    from casekit import datasets

    frames = [casekit.load_dataset(n) for n in casekit.dataset_names()]
    frames.append(pd.DataFrame({"i": pd.array([1, None], dtype="Int64"), "f": [1.5, float("nan")],
                                "c": pd.Categorical(["x", None]), "b": pd.array([True, None], dtype="boolean"),
                                "s": ["s", None], "t": pd.to_datetime(["2020-01-01", None])}))
    rows = 0
    for df in frames:
        for part in (df, df.iloc[::2], df.iloc[0:0]):
            want, got = part.to_dict("records"), datasets.records(part)
            assert len(want) == len(got)
            for w, g in zip(want, got):
                rows += 1
                assert list(w) == list(g)
                for k in w:
                    assert type(w[k]) is type(g[k]), (k, w[k], g[k])
                    assert w[k] is g[k] or w[k] == g[k] or (w[k] != w[k] and g[k] != g[k]), (k, w[k], g[k])
    assert rows > 1000
