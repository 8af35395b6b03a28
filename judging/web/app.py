"""Assembles the Litestar application: routes, templates, static files, CSRF, sessions, errors."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request, Response, Router, get
from litestar.config.csrf import CSRFConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.datastructures import CacheControlHeader, State
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException, NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy import Engine, text
from sqlalchemy.exc import StatementError

from judging.audit import SealerThread, Signer
from judging.db import create_db_engine, make_session_factory, pool_capacity
from judging.jobs.service import get_huey, make_consumer, recover_interrupted
from judging.errors import JudgingError, NotFound
from judging.parts import assemble
from judging.results.naming import option_rows, tie_rule_words
from judging.settings import REPO_ROOT, Settings, get_settings
from judging.web.auditor import AuditorController
from judging.accounts.permissions import ADMIN
from judging.web.auth import SessionUserMiddleware
from judging.web.guards import requires
from judging.web.security import add_security_headers
from judging.web.forms import error_status
from judging.web.home import OrganizerController
from judging.web.i18n_controller import set_language
from judging.web.reminders import RemindersController
from judging.web.rendering import error_text, provide_db, render
from judging.web.stages import StagesController

TEMPLATE_DIR = REPO_ROOT / "templates"
MAX_FORM_BODY = 2 * 1024 * 1024
STATIC_DIR = Path(__file__).resolve().parent / "static"
logger = logging.getLogger(__name__)


@get("/healthz", sync_to_thread=True, include_in_schema=False)
def healthz(request: Request) -> dict[str, str]:
    with request.app.state.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return {"status": "ok"}


@get("/favicon.ico", sync_to_thread=False, include_in_schema=False)
def favicon() -> Redirect:
    """Browsers ask for /favicon.ico whatever the page says: point them at the icon."""
    return Redirect(path="/static/favicon.svg", status_code=301)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") or request.headers.get("hx-request") == "true"


def _not_authorized(request: Request, exc: NotAuthorizedException) -> Response:
    if request.headers.get("hx-request") == "true":
        return Response(content="", status_code=401, headers={"HX-Redirect": "/login"})
    if _wants_html(request) and request.method == "GET":
        return Redirect(path="/login", query_params={"next": request.url.path})
    return Response(content={"status_code": 401, "detail": "login required"}, status_code=401)


def _id_out_of_range(request: Request, exc: Exception) -> Response:
    """An id too large for the database's integers names nothing: answer as for any unknown id.

    SQLite's driver raises OverflowError; PostgreSQL answers SQLSTATE 22003 (numeric value out of range).
    """
    orig = getattr(exc, "orig", None)
    if isinstance(exc, OverflowError) or getattr(orig, "sqlstate", None) == "22003":
        return _not_found(request, NotFoundException())
    raise exc


def _internal_error(request: Request, exc: Exception) -> Response:
    """An unexpected failure: log it with its traceback (Litestar itself logs only in debug mode)
    and answer a plain 500."""
    logger.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return Response(content={"status_code": 500, "detail": "Internal Server Error"}, status_code=500)


def _refused(request: Request, exc: JudgingError) -> Response:
    """A refusal no controller caught, such as the frozen-score check at commit when a save raced an
    approval: the message and its status, not a 500 (nothing was changed: the transaction rolled back)."""
    if isinstance(exc, NotFound):
        return _not_found(request, NotFoundException())
    message, status = error_text(request, exc), error_status(exc)
    if _wants_html(request) and request.headers.get("hx-request") != "true":
        return render(request, "pages/refused.html", status_code=status, message=message, back="/")
    return Response(content={"error": message, "kind": "conflict" if status == 409 else "invalid"},
                    status_code=status)


def _not_found(request: Request, exc: NotFoundException) -> Response:
    if _wants_html(request):
        return render(request, "pages/not_found.html", status_code=404)
    return Response(content={"status_code": 404, "detail": "Not Found"}, status_code=404)


def _openapi_config() -> OpenAPIConfig:
    """The API map lists every internal route: for logged-in admins only (others: login, or 404)."""
    router = Router("/schema", route_handlers=[], include_in_schema=False, guards=[requires(ADMIN)])
    return OpenAPIConfig(title="judging", version="1", openapi_router=router,
                         render_plugins=[JsonRenderPlugin()])


def template_environment(settings: Settings) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html", "xml"]),
                      trim_blocks=True, lstrip_blocks=True)
    zone = ZoneInfo(settings.timezone)
    env.filters["localtime"] = lambda value, fmt="%Y-%m-%d %H:%M": value.astimezone(zone).strftime(fmt)
    env.globals.update(tie_rule_words=tie_rule_words, option_rows=option_rows)
    return env


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Litestar:
    """The whole app; tests pass their own settings and engine, ``judging serve`` uses the environment.

    The parts are assembled and installed in this process (stage checks, job system) before it serves."""
    settings = settings or get_settings()
    registry = assemble()
    registry.install(settings)
    engine = engine or create_db_engine(settings.database_url)
    state = State({"settings": settings, "engine": engine, "session_factory": make_session_factory(engine)})
    csrf = CSRFConfig(secret=settings.resolved_secret_key(), cookie_secure=settings.secure_cookies,
                      cookie_samesite="lax", cookie_httponly=False, exclude=["^/healthz$"])
    return Litestar(
        route_handlers=[healthz, favicon, set_language, OrganizerController, StagesController, AuditorController,
                        RemindersController,
                        *registry.handlers,
                        create_static_files_router(path="/static", directories=[STATIC_DIR], name="static",
                                                   cache_control=CacheControlHeader(max_age=3600))],
        dependencies={"db": Provide(provide_db)},
        middleware=[SessionUserMiddleware()],
        before_send=[add_security_headers],
        # Forms are small; routes that take uploads raise their own limit (e.g. nomination imports).
        request_max_body_size=MAX_FORM_BODY,
        csrf_config=csrf,
        openapi_config=_openapi_config(),
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(template_environment(settings))),
        exception_handlers={NotAuthorizedException: _not_authorized, NotFoundException: _not_found,
                            JudgingError: _refused,
                            StatementError: _id_out_of_range, OverflowError: _id_out_of_range,
                            500: _internal_error},
        state=state,
        on_startup=[_size_handler_pool, lambda app: _start_embedded_worker(app, settings),
                    lambda app: _start_sealer(app, settings)],
        on_shutdown=[_stop_embedded_worker, _stop_sealer, lambda: engine.dispose()],
    )


def _size_handler_pool(app: Litestar) -> None:
    """Sync handlers run in the event loop's default executor, which asyncio sizes by the cores
    (6 threads on 2 cores): fewer handlers than the database pool has connections could run at once.
    One thread per connection the pool can give lets the database, not the thread pool, be the limit."""
    threads = pool_capacity(app.state.engine)
    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=threads, thread_name_prefix="handler"))
    app.state.handler_threads = threads


def _start_embedded_worker(app: Litestar, settings: Settings) -> None:
    """In the single-box set-up the app runs its own job consumer threads (see judging.jobs)."""

    app.state.consumer = None
    if not settings.embedded_worker or get_huey().immediate:
        return
    consumer = make_consumer(workers=2, embedded=True)
    recover_interrupted(app.state.session_factory, database_url=settings.database_url)
    consumer.start()
    app.state.consumer = consumer


def _start_sealer(app: Litestar, settings: Settings) -> None:
    """Every serving process seals the audit log (one at a time; see judging.audit.sealer). The tests'
    in-process apps turn it off (``audit_seal_seconds=0``) and seal where they mean to."""
    app.state.sealer = None
    if settings.audit_seal_seconds <= 0:
        return
    app.state.sealer = SealerThread(app.state.session_factory, Signer.from_file(settings.resolved_audit_key_file()),
                                    interval=settings.audit_seal_seconds)
    app.state.sealer.start()


def _stop_sealer(app: Litestar) -> None:
    if getattr(app.state, "sealer", None) is not None:
        app.state.sealer.stop()


def _stop_embedded_worker(app: Litestar) -> None:
    if getattr(app.state, "consumer", None) is not None:
        app.state.consumer.stop(graceful=True)
