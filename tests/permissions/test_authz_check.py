"""`relaydesk authz check FILE`: the shipped policies pass; broken ones name their problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from relaydesk.permissions.authz import DEFAULT_POLICIES, Authorizer, AuthzInvalid
from relaydesk.permissions.commands import authz_app

runner = CliRunner()


def test_the_shipped_policies_are_valid() -> None:
    result = runner.invoke(authz_app, [str(DEFAULT_POLICIES)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ('@id("x") permit(principal, action == Action::"refundz", resource);', "refundz"),
        (
            '@id("x") permit(principal is Customer, action, resource) '
            'when { principal.role == "a" };',
            "role",
        ),
        ("permit(principal, action, resource);", "@id"),
        ('@id("x") permit(principal, action, resource', "does not parse"),
    ],
)
def test_a_broken_file_is_refused_with_its_problem(tmp_path: Path, source: str, words: str) -> None:
    file = tmp_path / "policies.cedar"
    file.write_text(source)
    result = runner.invoke(authz_app, [str(file)])
    assert result.exit_code == 1
    assert words in result.output
    with pytest.raises(AuthzInvalid):
        Authorizer(source)
