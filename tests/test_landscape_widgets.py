"""The source-quality lens, headless: set control values, read the Python state."""
import pytest

import casekit
from casekit import landscape as L
from casekit.errors import CasekitError
from casekit.landscape_widgets import SourceQualityLens, source_quality_lens


@pytest.fixture
def lens():
    casekit.set_language("en")
    w = source_quality_lens()
    yield w
    casekit.set_language("en")


def test_default_shows_everything_strongest_first(lens):
    assert lens.counts == {"shown": 57, "untraceable": 27, "promotional": 5}
    assert lens.result["source_type"].iloc[0] == "peer_reviewed"
    assert lens.result["source_type"].iloc[-1] == "vendor_blog"


def test_filter_by_source_type(lens):
    lens.source_types.value = ("open_access_journal",)
    assert len(lens.result) == 5 and set(lens.result["source"]) == {"001"}
    lens.source_types.value = ("peer_reviewed", "vendor_blog")
    assert lens.counts["shown"] == 52


def test_untraceable_only(lens):
    lens.traceable.value = "untraceable"
    assert not lens.result["names_source"].any()
    assert lens.counts["shown"] == lens.counts["untraceable"] == 27
    lens.source_types.value = ("peer_reviewed",)
    # the three uncited landscape counts of 000
    assert set(lens.result["claim_id"]) == {"srdi_sme_count_2023", "little_giant_count_2023_000", "single_champion_count_2023"}
    lens.traceable.value = "traceable"
    assert lens.counts["shown"] == 19 and lens.counts["untraceable"] == 0


def test_hide_promotional(lens):
    lens.hide_promotional.value = True
    assert lens.counts["promotional"] == 0 and lens.counts["shown"] == 52
    assert "finebi_market_share_rank" not in set(lens.result["claim_id"])


def test_sort(lens):
    lens.sort_by.value = "traceability"
    ranks = [L.TRACEABILITY.index(str(t)) for t in lens.result["traceability"]]
    assert ranks == sorted(ranks)
    lens.sort_by.value = "value"          # within each unit (issue 16: units were mixed)
    for _unit, part in lens.result.groupby("unit", sort=False):
        assert part["value"].is_monotonic_increasing
    units = lens.result["unit"].tolist()
    assert units == sorted(units)
    assert "within each unit" in lens.table.value


def test_side_by_side_view(lens):
    lens.view.value = "side_by_side"
    assert list(lens.pairs.columns) == ["peer_reviewed", "vendor_blog", "note"]
    assert "12,668" in lens.pairs.loc["little_giant_count", "peer_reviewed"]
    assert "10,000" in lens.pairs.loc["little_giant_count", "vendor_blog"]
    assert "12,668" in lens.table.value
    lens.source_types.value = ("vendor_blog",)      # one kind of source: nothing to set beside it
    assert lens.pairs.empty
    assert "at least two source types" in lens.table.value


def test_empty_selection_is_handled(lens):
    lens.source_types.value = ()
    assert lens.counts["shown"] == 0
    assert "No claim matches" in lens.table.value


def test_display_table_and_language_switch(lens):
    assert list(lens.display_table().columns)[:3] == ["source", "source type", "claim"]
    casekit.set_language("zh")
    assert list(lens.display_table().columns)[:3] == ["来源", "来源类型", "论断"]
    assert "条无出处" in lens.status.value
    assert dict(lens.source_types.options)["同行评审期刊"] == "peer_reviewed"
    # the selection survives the switch
    assert lens.counts["shown"] == 57


def test_untraceable_rows_are_marked_red(lens):
    lens.traceable.value = "untraceable"
    assert "color:#c8453c" in lens.table.value


def test_bad_options():
    with pytest.raises(CasekitError, match="traceable must be one of"):
        SourceQualityLens(traceable="some")
    with pytest.raises(CasekitError, match="Allowed values"):
        SourceQualityLens(source_types=("blog",))
    with pytest.raises(CasekitError, match="view must be"):
        SourceQualityLens(view="chart")


def test_widget_assembles():
    lens = SourceQualityLens(view="side_by_side")
    w = lens.widget()
    assert len(w.children) == 6 and lens.problem_html in w.children     # the first: the phone's style
    assert "ck-explorer" in w._dom_classes
    assert lens.widget() is w          # built once
