"""The base of every generated contract model: frozen, like the values it describes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ContractModel(BaseModel):
    model_config = ConfigDict(frozen=True)
