"""Tests of the pure-Python engine: plain pytest, no database."""
