"""Pydantic models generated from packages/contracts/schema by scripts/generate_contracts.py: never edit by hand."""
