"""The admin dashboard: a dependency-free single-page app served by pool-service at ``/``."""

from pool_service.dashboard.routes import dashboard_router

__all__ = ["dashboard_router"]
