"""Routes: graph_store (placeholder until filled)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
