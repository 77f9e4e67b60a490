"""The Streamlit entry point (``streamlit run app.py``, started by ``lakehouse-inv dashboard``): eight pages over
the gold tables. Configuration comes from ``$LAKEHOUSE_INV_CONF`` / ``$LAKEHOUSE_INV_ENV`` (see :mod:`.settings`),
the warehouse from ``pipeline.yml``'s ``warehouse_dir`` relative to the working directory, as for the jobs. With a
password set, :mod:`.login`'s page comes first."""

from __future__ import annotations

import streamlit as st

from lakehouse_inv.dashboard import login, screens

PAGES = [
    st.Page(screens.planner_page, title="Planner", url_path="planner", default=True),
    st.Page(screens.policies_page, title="Policies", url_path="policies"),
    st.Page(screens.performance_page, title="Performance", url_path="performance"),
    st.Page(screens.inventory_page, title="Inventory", url_path="inventory"),
    st.Page(screens.stores_page, title="Stores", url_path="stores"),
    st.Page(screens.orders_page, title="Orders", url_path="orders"),
    st.Page(screens.configuration_page, title="Configuration", url_path="configuration"),
    st.Page(screens.run_page, title="Run", url_path="run"),
]

st.set_page_config(page_title="lakehouse_inv", layout="wide")
if not login.signed_in():  # a password was set and this session has not given it: the password page only
    st.stop()
st.navigation(PAGES, expanded=True).run()
