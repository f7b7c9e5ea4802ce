"""Verifying an account against Azure: the checks, the catalogue of fixes, and the run."""
