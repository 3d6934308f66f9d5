"""Streamlit helpers shared by the pages (declared controls bound to the URL, presets,
friendly errors, takeaways, CSV download, cached training). Imports streamlit; the numerical
core never imports this package."""
