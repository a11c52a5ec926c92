"""Orchestration of claims over the repository and publisher ports."""
