"""Reference solutions of the three problems: each scores every point of the rubric.

The files are standalone (no imports between them) because the scorer grades a folder of
``problem1.py``, ``problem2.py`` and ``problem3.py`` exactly as a candidate hands it in.
"""
