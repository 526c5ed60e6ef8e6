"""Pilot pages, one module per use-case family; forms are in ``pilots/forms.py``."""
