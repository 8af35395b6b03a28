"""Job kinds that take a while, for the crash tests (a worker process imports this module)."""

import time

from judging.jobs import job_kind


def _slow(ctx, params):
    for step in range(params["steps"]):
        time.sleep(0.1)
        ctx.progress((step + 1) / params["steps"], f"step {step + 1}", force=True)
    return {"steps": params["steps"]}


slow = job_kind("test.slow")(lambda ctx, params: _slow(ctx, params))
slow_resumable = job_kind("test.slow_resumable", resumable=True)(lambda ctx, params: _slow(ctx, params))
