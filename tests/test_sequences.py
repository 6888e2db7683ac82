"""Biopython sequences: parsing, translation, ProtParam values, clear errors for bad letters."""

from __future__ import annotations

import pytest

from hypoforge.tools.registry import ToolRegistry
from hypoforge.tools.sequences import (
    SequenceError,
    clean_protein,
    protparam,
    read_sequences,
    translate,
)

UBIQUITIN = "MQIFVKTLTGKTITLEVEPSDTIENVKAKIQDKEGIPPDQQRLIFAGKQLEDGRTLSDYNIQKESTLHLVLRLRGG"
# Kyte & Doolittle (1982) hydropathy scale, written out independently of Biopython's table.
KD = dict(A=1.8, R=-4.5, N=-3.5, D=-3.5, C=2.5, Q=-3.5, E=-3.5, G=-0.4, H=-3.2, I=4.5,
          L=3.8, K=-3.9, M=1.9, F=2.8, P=-1.6, S=-0.8, T=-0.7, W=-0.9, Y=-1.3, V=4.2)


def test_protparam_ubiquitin_known_values():
    p = protparam(UBIQUITIN)
    assert p.length == 76
    assert p.molecular_weight == pytest.approx(8564.8, abs=0.5)  # ExPASy ProtParam: 8564.84 Da
    assert p.isoelectric_point == pytest.approx(6.56, abs=0.05)  # ExPASy ProtParam: 6.56
    assert p.gravy == pytest.approx(sum(KD[a] for a in UBIQUITIN) / len(UBIQUITIN), abs=1e-4)
    assert p.stable == (p.instability_index < 40)
    # one Tyr, no Trp, no Cys: 1490 M-1 cm-1 at 280 nm
    assert p.extinction_coefficient_reduced == 1490


def test_protein_letters_are_validated():
    assert clean_protein(" mkt lly\n*") == "MKTLLY"
    with pytest.raises(SequenceError) as info:
        clean_protein("MKTXLB1")
    msg = str(info.value)
    assert "'X' at position 4" in msg and "'B' at position 6" in msg and "'1' at position 7" in msg
    with pytest.raises(SequenceError, match="empty"):
        protparam("  ")


def test_translation():
    protein, trailing = translate("ATGGCCATTGTAATGGGCCGCTGAAAGGGTGCCCGATAG")
    assert protein == "MAIVMGR*KGAR*" and trailing == 0
    assert translate("ATGGCCATTGTAATGGGCCGCTGAAAG", to_stop=True)[0] == "MAIVMGR"
    assert translate("AUGGCCUAA")[0] == "MA*"  # RNA
    assert translate("AATGAAA", frame=1) == ("MK", 0)
    assert translate("ATGAA")[1] == 2
    # vertebrate mitochondrial code: TGA is Trp, not stop
    assert translate("ATGTGA", table=2)[0] == "MW"
    with pytest.raises(SequenceError, match="'J' at position 3"):
        translate("ATJ")
    with pytest.raises(SequenceError, match="table"):
        translate("ATG", table=99)


def test_read_fasta_shared_jak_family(shared_data):
    recs = read_sequences(shared_data / "proteins" / "ra_targets_fasta" / "jak_family_kiba.fasta")
    assert len(recs) == 4 and recs[0].id.startswith("P23458")
    for r in recs:
        assert protparam(r.sequence).length == len(r.sequence) > 1000


GENBANK = """\
LOCUS       TESTSEQ                   27 bp    DNA     linear   SYN 01-JAN-2026
DEFINITION  synthetic test construct.
ACCESSION   TESTSEQ
VERSION     TESTSEQ.1
KEYWORDS    .
SOURCE      synthetic DNA construct
  ORGANISM  synthetic DNA construct
            other sequences.
FEATURES             Location/Qualifiers
     CDS             1..27
                     /gene="tst"
                     /product="test peptide"
                     /translation="MAIVMGR"
ORIGIN
        1 atggccattg taatgggccg ctgaaag
//
"""


def test_read_genbank_and_errors(tmp_path):
    gb = tmp_path / "t.gb"
    gb.write_text(GENBANK)
    (rec,) = read_sequences(gb)
    assert rec.id == "TESTSEQ.1" and rec.sequence == "ATGGCCATTGTAATGGGCCGCTGAAAG"
    assert rec.features[0]["gene"] == "tst"
    assert translate(rec.sequence, to_stop=True)[0] == rec.features[0]["translation"]
    junk = tmp_path / "junk.fasta"
    junk.write_text("no header here\nACGT\n")
    with pytest.raises(SequenceError, match="not valid fasta: This FASTA file contains comments"):
        read_sequences(junk)
    empty = tmp_path / "empty.fasta"
    empty.write_text("")
    with pytest.raises(SequenceError, match="no fasta records"):
        read_sequences(empty)
    with pytest.raises(SequenceError, match="not found"):
        read_sequences(tmp_path / "missing.fa")


def test_sequence_tools_through_registry():
    reg = ToolRegistry.from_entry_points(autoload=False)
    ok = reg.call("seq.protparam", {"sequence": UBIQUITIN})
    assert ok.ok and ok.output["length"] == 76
    bad = reg.call("seq.protparam", {"sequence": "MKZ"})
    assert bad.error_kind == "bad_input" and "'Z' at position 3" in bad.error
    tr = reg.call("seq.translate", {"sequence": "ATGAAATAG", "to_stop": True})
    assert tr.output["protein"] == "MK" and tr.output["stops"] == 0
    assert reg.call("seq.translate", {"sequence": "ATG", "frame": 5}).error_kind == "invalid_args"
