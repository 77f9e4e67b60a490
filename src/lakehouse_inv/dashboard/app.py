"""The Streamlit entry point (``streamlit run app.py``, started by ``lakehouse-inv dashboard``): seven pages over
the gold tables. Configuration comes from ``$LAKEHOUSE_INV_CONF`` / ``$LAKEHOUSE_INV_ENV`` (see :mod:`.settings`),
the warehouse from ``pipeline.yml``'s ``warehouse_dir`` relative to the working directory, as for the jobs."""

from __future__ import annotations

import streamlit as st

from lakehouse_inv.dashboard import screens

PAGES = [
    st.Page(screens.policies_page, title="Policies", url_path="policies", default=True),
    st.Page(screens.performance_page, title="Performance", url_path="performance"),
    st.Page(screens.inventory_page, title="Inventory", url_path="inventory"),
    st.Page(screens.stores_page, title="Stores", url_path="stores"),
    st.Page(screens.orders_page, title="Orders", url_path="orders"),
    st.Page(screens.configuration_page, title="Configuration", url_path="configuration"),
    st.Page(screens.run_page, title="Run", url_path="run"),
]

st.set_page_config(page_title="lakehouse_inv", layout="wide")
st.navigation(PAGES, expanded=True).run()
