"""The dashboard's access rule without a browser: a password page before any other page (Streamlit's AppTest runs
the real app script), and no binding beyond this machine without a password."""

from __future__ import annotations

import pytest

from lakehouse_inv.access import salted_hash
from lakehouse_inv.dashboard import cli
from lakehouse_inv.dashboard.login import HASH_ENV, PASSWORD_ENV

pytest.importorskip("streamlit", reason="pip install -e '.[dashboard]'")


def test_a_password_page_comes_before_any_other_page(monkeypatch, tmp_path) -> None:
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv(HASH_ENV, salted_hash("open-sesame"))
    monkeypatch.setattr("lakehouse_inv.dashboard.login.WRONG_PASSWORD_DELAY_S", 0.0)
    monkeypatch.chdir(tmp_path)  # no conf/ nor warehouse here: the pages, once shown, say what is missing
    app = AppTest.from_file(str(cli.APP), default_timeout=60).run()
    assert [t.label for t in app.text_input] == ["Password"]
    assert not app.error and len(app.title) == 1 and app.title[0].value == "lakehouse_inv"

    app.text_input[0].input("open-sesam")
    app.button[0].click().run()
    assert [e.value for e in app.error] == ["Wrong password."]
    assert [t.label for t in app.text_input] == ["Password"]

    app.text_input[0].input("open-sesame")
    app.button[0].click().run()
    assert "Password" not in [t.label for t in app.text_input]
    assert "Wrong password." not in [e.value for e in app.error]


def test_without_a_password_the_dashboard_binds_only_to_this_machine(monkeypatch, capsys) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    assert cli.main(["--host", "0.0.0.0"]) == 2
    error = capsys.readouterr().err
    assert "--host 0.0.0.0 without a password" in error and PASSWORD_ENV in error
