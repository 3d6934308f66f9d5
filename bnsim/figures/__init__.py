"""Figure builders: pure functions ``data -> plotly.graph_objects.Figure``. No Streamlit here."""
