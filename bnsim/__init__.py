"""bnsim — a Batch Normalization simulator for lectures.

The numerical core (``batchnorm``, ``running``, ``data``, ``network``, ``optim``, ``train``,
``notation``) imports numpy (and pandas for tables) only, so it runs in a notebook or a script.
``bnsim.figures`` builds Plotly figures from the core's results; ``bnsim.ui`` holds the
Streamlit helpers the pages share.
"""

__version__ = "0.1.0"
