"""The web dashboard (``lakehouse-inv dashboard``): a Streamlit app over the gold Delta tables, read with ``deltalake``
(no JVM), plus the configuration editor and a background run launcher.

Only :mod:`.app` and :mod:`.pages` import Streamlit; :mod:`.warehouse`, :mod:`.views`, :mod:`.settings` and
:mod:`.runs` are plain Python, tested without a browser.
"""
