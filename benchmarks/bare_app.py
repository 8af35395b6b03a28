"""A bare Litestar app that parses the same autosave form and answers JSON, with no database.

The yardstick for benchmarks/load.py and benchmarks/score_save.py: what HTTP and form parsing
cost on their own on this machine.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from litestar import Litestar, post
from litestar.enums import RequestEncodingType
from litestar.params import Body


@post("/bare", sync_to_thread=False, status_code=200)
def bare(data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]) -> dict[str, Any]:
    return {"version": int(data.get("version", 0)) + 1, "saved_at": time.strftime("%H:%M:%S")}


app = Litestar([bare])
