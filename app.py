"""bnsim: the landing page ("Home") — the script ``streamlit run app.py`` starts.

Each lesson is one page script in ``pages/`` (``pages/<N>_<URL path>.py``): Streamlit's own
routing gives each lesson its URL path (``/Inside_a_BN_layer``, ``/Covariate_shift``,
``/Running_statistics``, ``/Train_vs_test``), so links prepared for lectures keep working.
Streamlit's automatic page list is switched off (``client.showSidebarNavigation = false``);
every page draws the same navigation instead (:func:`bnsim.ui.page.navigation`), whose first
entry reads "Home".
"""

from bnsim.ui.home import home

home()
