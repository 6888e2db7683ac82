"""The plugin's own tests: the contract checker plus the chemistry it claims."""

import pytest

from hypoforge.tools.testing import check_tool
from hypoforge_peptide_charge import PeptideChargeTool, net_charge


def test_contract_and_example_call():
    result = check_tool(PeptideChargeTool, {"sequence": "KKKK", "ph": 7.0})
    assert result.output["net_charge"] > 3.5


def test_charge_follows_ph():
    # four acids and the C-terminus fully charged, the N-terminus (pKa 8.6) about 97% protonated
    assert net_charge("DEDE", 7.0) == pytest.approx(-5.0 + 1 / (1 + 10 ** (7.0 - 8.6)), abs=0.01)
    assert net_charge("GG", 1.0) == pytest.approx(1.0, abs=0.01)  # only the N-terminus is charged
    assert net_charge("GG", 13.0) == pytest.approx(-1.0, abs=0.01)  # only the C-terminus is charged
    assert net_charge("KDE", 3.0) > 0 > net_charge("KDE", 9.0)


def test_bad_letters_are_a_clear_error():
    from hypoforge.tools.registry import ToolRegistry

    result = ToolRegistry([PeptideChargeTool()]).call("peptide.net_charge", {"sequence": "KJ1"})
    assert result.error_kind == "bad_input" and "1, J" in result.error
