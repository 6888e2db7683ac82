"""ESM C protein suite, tested on a tiny randomly initialised ESM C (no weights, no download)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from hypoforge.errors import UserError
from hypoforge.tools import protein as P
from hypoforge.tools.protein import tools as PT

torch = pytest.importorskip("torch", reason="torch not installed (install the esm extra)")
pytest.importorskip("esm", reason="EvolutionaryScale esm not installed (see docs/protein.md)")
np = pytest.importorskip("numpy")

SEQS = ["MKTAYIAKQRQISFVKSHFSRQ", "ACDEFGHIKLMNPQRSTVWY" * 2 + "XB", "MKV"]


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Tiny matrices: one thread is faster and avoids oversubscribing a shared 2-core CI box."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def scorer() -> P.EsmScorer:
    return P.EsmScorer(P.build_random_esmc(d_model=64, n_heads=4, n_layers=2, seed=0),
                       name="tiny", device="cpu")


# -- sequences ------------------------------------------------------------------------------------


def test_clean_esm_sequence_normalises_case_and_whitespace() -> None:
    assert P.clean_esm_sequence(" mkt ay\nIAK ") == "MKTAYIAK"


def test_clean_esm_sequence_lists_bad_letters_with_positions() -> None:
    with pytest.raises(UserError) as e:
        P.clean_esm_sequence("MK*A1J", label="seq3")
    msg = str(e.value)
    assert "seq3" in msg and "3 invalid" in msg
    assert "'*' at position 3" in msg and "'1' at position 5" in msg and "'J' at position 6" in msg


def test_clean_esm_sequence_caps_listing_and_rejects_empty() -> None:
    with pytest.raises(UserError, match="and 5 more"):
        P.clean_esm_sequence("M" + "*" * 15)
    with pytest.raises(UserError, match="empty"):
        P.clean_esm_sequence("  \n")


def test_clean_esm_sequence_length_limit() -> None:
    assert len(P.clean_esm_sequence("A" * P.MAX_RESIDUES)) == P.MAX_RESIDUES
    with pytest.raises(UserError, match=f"{P.MAX_RESIDUES + 1} residues.*limit of {P.MAX_RESIDUES}"):
        P.clean_esm_sequence("A" * (P.MAX_RESIDUES + 1))
    with pytest.raises(UserError, match="limit of 5"):
        P.clean_esm_sequence("ACDEFG", max_length=5)


# -- variants -------------------------------------------------------------------------------------


def test_parse_single_and_multi_mutant() -> None:
    seq = "MKTAYIAK"
    v = P.parse_variant("k2a", seq)
    assert v.label == "K2A" and [(m.wt, m.pos, m.mt) for m in v.mutations] == [("K", 2, "A")]
    multi = P.parse_variant("M1L:Y5F", seq)
    assert [(m.pos, m.mt) for m in multi.mutations] == [(1, "L"), (5, "F")]


@pytest.mark.parametrize(
    ("label", "pattern"),
    [
        ("A2G", r"mismatch at position 2: the sequence has 'K', the variant says 'A'"),
        ("K9A", r"position 9 is out of range \(the sequence has 8 residues\)"),
        ("K0A", "not of the form"),
        ("2A", "not of the form"),
        ("K2*", "not of the form"),
        ("K2X", "not one of the 20 standard"),
        ("K2A:K2G", "position 2 appears twice"),
        ("K2A:", "empty part"),
        ("", "empty"),
    ],
)
def test_parse_variant_errors(label: str, pattern: str) -> None:
    with pytest.raises(UserError, match=pattern):
        P.parse_variant(label, "MKTAYIAK")


def test_length_batches_respects_budget_and_covers_all() -> None:
    lengths = [5, 50, 7, 120, 3, 50, 200]
    batches = P.length_batches(lengths, max_tokens=150)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= 150


# -- model ----------------------------------------------------------------------------------------


def test_choose_device_cpu_fp32(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert P.choose_device() == ("cpu", "float32")


def test_random_model_is_deterministic_per_seed() -> None:
    a = P.build_random_esmc(d_model=32, n_heads=2, n_layers=1, seed=3)
    b = P.build_random_esmc(d_model=32, n_heads=2, n_layers=1, seed=3)
    c = P.build_random_esmc(d_model=32, n_heads=2, n_layers=1, seed=4)
    wa, wb, wc = (m.embed.weight for m in (a, b, c))
    assert torch.equal(wa, wb) and not torch.equal(wa, wc)


def test_embedding_shapes(scorer: P.EsmScorer) -> None:
    out = scorer.embed(SEQS, per_residue=True)
    for seq, item in zip(SEQS, out):
        assert item["mean"].shape == (64,)
        assert item["per_residue"].shape == (len(seq), 64)
        np.testing.assert_allclose(item["mean"], item["per_residue"].mean(axis=0), atol=1e-6)
    assert "per_residue" not in scorer.embed(SEQS[:1])[0]


def test_batched_equals_single(scorer: P.EsmScorer) -> None:
    batched = scorer.embed(SEQS, per_residue=True)
    lp_batched = scorer.logprobs(SEQS)
    for i, seq in enumerate(SEQS):
        single = scorer.embed([seq], per_residue=True)[0]
        np.testing.assert_allclose(batched[i]["per_residue"], single["per_residue"], atol=1e-4)
        np.testing.assert_allclose(lp_batched[i], scorer.logprobs([seq])[0], atol=1e-4)
    # Padding must not leak: a short sequence beside a long one equals itself alone.
    mixed = scorer.logprobs(["MKV", "A" * 150])
    np.testing.assert_allclose(mixed[0], scorer.logprobs(["MKV"])[0], atol=1e-4)


def test_masking_hides_the_residue(scorer: P.EsmScorer) -> None:
    seq = SEQS[0]
    other = seq[:4] + ("W" if seq[4] != "W" else "F") + seq[5:]
    a = scorer.masked_logprobs(seq, [5])[5]
    b = scorer.masked_logprobs(other, [5])[5]
    np.testing.assert_allclose(a, b, atol=1e-5)  # residue 5 is masked: its letter is invisible
    unmasked_a, unmasked_b = scorer.logprobs([seq, other])
    assert np.abs(unmasked_a[4] - unmasked_b[4]).max() > 1e-3  # ...but visible without the mask
    assert a.shape == (64,)  # ESM C's output head is 64 wide (33 used tokens + padding)
    np.testing.assert_allclose(np.exp(a).sum(), 1.0, atol=1e-4)


def test_pll_matches_per_position_masking_and_batching(scorer: P.EsmScorer) -> None:
    plls = scorer.pseudo_log_likelihoods(SEQS)
    seq = SEQS[0]
    lp = scorer.masked_logprobs(seq, list(range(1, len(seq) + 1)))
    expect = sum(lp[p][scorer._vocab[c]] for p, c in enumerate(seq, start=1))
    assert plls[0] == pytest.approx(float(expect), abs=1e-3)
    for i, s in enumerate(SEQS):
        assert plls[i] == pytest.approx(scorer.pseudo_log_likelihoods([s])[0], abs=1e-3)
        assert plls[i] < 0
    small = P.EsmScorer(scorer.model, name="tiny", device="cpu", max_tokens=40)  # many small batches
    assert small.pseudo_log_likelihoods(SEQS) == pytest.approx(plls, abs=1e-3)


def test_masked_marginals_bookkeeping(scorer: P.EsmScorer) -> None:
    seq = SEQS[0]
    singles = [P.parse_variant(v, seq) for v in ("K2A", "Y5F", "Y5Y")]
    multi = P.parse_variant("K2A:Y5F", seq)
    s = scorer.masked_marginals(seq, [*singles, multi])
    lp = scorer.masked_logprobs(seq, [2, 5])
    v = scorer._vocab
    assert s[0] == pytest.approx(float(lp[2][v["A"]] - lp[2][v["K"]]), abs=1e-5)
    assert s[2] == 0.0  # synonymous
    assert s[3] == pytest.approx(s[0] + s[1], abs=1e-5)


# -- tools ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tools(scorer: P.EsmScorer) -> dict[str, PT._EsmTool]:
    return {t.name: t for t in P.esm_tools(P.EsmRuntime(scorer=scorer))}


def test_tool_contract(tools: dict[str, PT._EsmTool]) -> None:
    assert set(tools) == {"esm.validate", "esm.embed", "esm.score", "esm.variants"}
    for t in tools.values():
        assert t.description and issubclass(t.Input, BaseModel) and issubclass(t.Output, BaseModel)
        t.Input.model_json_schema()


def test_validate_tool_reports_per_item(tools: dict[str, PT._EsmTool]) -> None:
    out = tools["esm.validate"].run(PT._Seqs(sequences=["mkx", "MK-V", "A" * 3000]))
    a, b, c = out.items
    assert a.error is None and a.sequence == "MKX" and a.nonstandard == 1
    assert b.error and "'-' at position 3" in b.error
    assert c.error and "3000 residues" in c.error


def test_embed_and_score_tools_keep_going_past_bad_items(tools: dict[str, PT._EsmTool], scorer: P.EsmScorer) -> None:
    emb = tools["esm.embed"].run(PT.EmbedInput(sequences=[SEQS[0], "M?K", SEQS[2]]))
    assert emb.dim == 64 and emb.items[1].error and emb.items[1].mean is None
    np.testing.assert_allclose(emb.items[2].mean, scorer.embed([SEQS[2]])[0]["mean"], atol=1e-5)
    out = tools["esm.score"].run(PT._Seqs(sequences=[SEQS[0], "BAD!", SEQS[2]]))
    good = [out.items[0], out.items[2]]
    assert out.items[1].error and out.items[1].rank is None
    assert sorted(i.rank for i in good) == [1, 2]
    best = max(good, key=lambda i: i.pll_per_residue)
    assert best.rank == 1
    assert out.items[2].pll == pytest.approx(scorer.pseudo_log_likelihoods([SEQS[2]])[0], abs=1e-3)
    PT.ScoreOutput.model_validate_json(out.model_dump_json())
    with pytest.raises(UserError, match="too much work"):
        P.ScoreSequencesTool(P.EsmRuntime(scorer=scorer)).run(PT._Seqs(sequences=["A" * 2000] * 11))


def test_variant_tool_per_item_errors(tools: dict[str, PT._EsmTool], scorer: P.EsmScorer) -> None:
    seq = SEQS[0]
    out = tools["esm.variants"].run(PT.VariantsInput(sequence=seq, variants=["K2A", "A2G", "K2A:Y5F", "M99A"]))
    assert [i.variant for i in out.items] == ["K2A", "A2G", "K2A:Y5F", "M99A"]
    assert out.items[1].error and "mismatch at position 2" in out.items[1].error
    assert out.items[3].error and "out of range" in out.items[3].error
    expect = scorer.masked_marginals(seq, [P.parse_variant("K2A", seq), P.parse_variant("K2A:Y5F", seq)])
    assert [out.items[0].score, out.items[2].score] == pytest.approx(expect, abs=1e-5)
    with pytest.raises(UserError, match="invalid amino-acid letter"):
        tools["esm.variants"].run(PT.VariantsInput(sequence="MK#", variants=["K2A"]))


# -- weights --------------------------------------------------------------------------------------


@pytest.fixture()
def empty_hf_cache(tmp_path, monkeypatch: pytest.MonkeyPatch):
    from huggingface_hub import constants

    cache = tmp_path / "hf"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.delenv(P.ENV_WEIGHTS, raising=False)
    return cache


def test_missing_weights_error_says_how_to_get_them(empty_hf_cache, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(P.ENV_WEIGHTS, str(tmp_path / "nowhere"))
    tool = P.EmbedTool(P.EsmRuntime(model_name="esmc_300m"))  # construction never loads
    with pytest.raises(UserError) as e:
        tool.setup()
    msg = str(e.value)
    assert "esmc_300m not found" in msg and "nowhere" in msg and str(empty_hf_cache) in msg
    assert "huggingface-cli download EvolutionaryScale/esmc-300m-2024-12" in msg
    assert "HYPOFORGE_ESM_WEIGHTS=" in msg and "\n" not in msg
    with pytest.raises(UserError, match="unknown ESM model 'esm2'"):
        P.resolve_weights("esm2")


def test_weights_found_in_folder_file_and_hf_cache(empty_hf_cache, tmp_path) -> None:
    spec = P.MODEL_SPECS["esmc_300m"]
    folder = tmp_path / "esmc-300m-2024-12"
    f = folder / spec.weight_file
    f.parent.mkdir(parents=True)
    f.write_bytes(b"x")
    assert P.resolve_weights("esmc_300m", folder) == f
    assert P.resolve_weights("esmc_300m", f) == f
    snap = empty_hf_cache / "models--EvolutionaryScale--esmc-300m-2024-12"
    (snap / "refs").mkdir(parents=True)
    (snap / "refs" / "main").write_text("abc123")
    cached = snap / "snapshots" / "abc123" / spec.weight_file
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"x")
    assert P.resolve_weights("esmc_300m") == cached


def test_load_local_weights_and_reject_wrong_ones(empty_hf_cache, tmp_path, monkeypatch, scorer) -> None:
    spec = P.EsmModelSpec(name="tiny", d_model=64, n_heads=4, n_layers=2, hf_repo="x/tiny",
                          weight_file="data/weights/tiny.pth")
    monkeypatch.setitem(P.MODEL_SPECS, "tiny", spec)
    path = tmp_path / "tiny.pth"
    torch.save(scorer.model.state_dict(), path)
    loaded = P.EsmScorer(P.load_esmc("tiny", tmp_path), device="cpu")
    np.testing.assert_allclose(loaded.logprobs([SEQS[0]])[0], scorer.logprobs([SEQS[0]])[0], atol=1e-6)
    torch.save(P.build_random_esmc(d_model=32, n_heads=2, n_layers=1).state_dict(), path)
    with pytest.raises(UserError, match="do not fit tiny"):
        P.load_esmc("tiny", path)


def test_spearman() -> None:
    """The benchmark's rank correlation (bench/_common.py), against scipy's."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("bench_common", Path(__file__).parents[1] / "bench" / "_common.py")
    assert spec is not None and spec.loader is not None
    common = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(common)
    assert common.spearman([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(0.8)
    stats = pytest.importorskip("scipy.stats")
    x, y = [1, 2, 2, 3, 5, 5, 5, 0], [3, 1, 4, 1, 5, 9, 2, 6]
    assert common.spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic)


def test_import_is_light() -> None:
    """Tool discovery must not pay for torch/esm: they load in setup()."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import importlib.util, sys; s = importlib.util.spec_from_file_location('b', '_bootstrap.py'); "
            "m = importlib.util.module_from_spec(s); s.loader.exec_module(m); m.ensure_checkout_package(); "
            "import hypoforge.tools.protein; print(sorted({'torch', 'esm', 'transformers'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(P.__file__).parents[2],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_dms_variants_match_their_wild_type(shared_data) -> None:
    """Every ProteinGym label in the benchmark sets parses against its FASTA (positions, wt letters)."""
    folder = shared_data / "proteins" / "dms_proteingym_single"
    for name in ("BLAT_ECOLX_Stiffler_2015", "TPMT_HUMAN_Matreyek_2018", "NUD15_HUMAN_Suiter_2020"):
        lines = (folder / f"{name}.fasta").read_text().splitlines()
        seq = P.clean_esm_sequence("".join(x for x in lines if not x.startswith(">")))
        labels = [row.split(",")[0] for row in (folder / f"{name}.csv").read_text().splitlines()[1:]]
        variants = [P.parse_variant(lab, seq) for lab in labels]
        assert len(variants) > 2000 and all(1 <= m.pos <= len(seq) for v in variants for m in v.mutations)


def test_validate_is_offered_without_weights(empty_hf_cache, tmp_path, monkeypatch) -> None:
    """esm.validate needs no model, so missing weights hide only the model-backed tools."""
    monkeypatch.setenv(P.ENV_WEIGHTS, str(tmp_path / "nowhere"))
    runtime = P.EsmRuntime(model_name="esmc_300m")
    assert P.ValidateSequencesTool(runtime).available()
    assert not P.EmbedTool(runtime).available()
