"""The dashboard's password page: shown before any other page when ``lakehouse-inv dashboard`` was given a
password. The app receives a salted hash of it (``$LAKEHOUSE_INV_DASHBOARD_PASSWORD_HASH``, set by the CLI), and a
browser session that gave the password once stays signed in until it is closed or reloaded."""

from __future__ import annotations

import os
import time

import streamlit as st

from lakehouse_inv.access import matches

PASSWORD_ENV = "LAKEHOUSE_INV_DASHBOARD_PASSWORD"
HASH_ENV = "LAKEHOUSE_INV_DASHBOARD_PASSWORD_HASH"
SIGNED_IN = "lakehouse_inv_signed_in"
WRONG_PASSWORD_DELAY_S = 1.0  # slows guessing down


def signed_in() -> bool:
    """True when no password is set or this session gave it; otherwise draws the password page and returns False
    (the caller stops, so no other page, upload or run launcher is drawn)."""
    expected = os.environ.get(HASH_ENV)
    if not expected or st.session_state.get(SIGNED_IN):
        return True
    st.title("lakehouse_inv")
    with st.form("sign_in"):
        password = st.text_input("Password", type="password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        if matches(password, expected):
            st.session_state[SIGNED_IN] = True
            st.rerun()
        time.sleep(WRONG_PASSWORD_DELAY_S)
        st.error("Wrong password.")
    return False
