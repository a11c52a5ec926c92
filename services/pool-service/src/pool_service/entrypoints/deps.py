"""FastAPI dependencies: the runtime, and the admin-only guard every route here uses."""

from typing import Annotated

from fastapi import Depends, Request

from pool_service.bootstrap import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
