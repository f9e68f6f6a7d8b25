"""The review app: a Starlette application over one inventory.

Every text that came from a PDF reaches the page through Jinja2 with autoescape, or as JSON in a
non-executed ``application/json`` block read by ``static/review.js``; the Content-Security-Policy
allows scripts from the app only, so even a missed escape would not run. State-changing requests
need the server's CSRF token and a same-origin (or absent) ``Origin``; the ``Host`` must be the
address the server was started on (no DNS rebinding).
"""

from __future__ import annotations

import contextlib
import csv
import hmac
import json
import secrets
import sqlite3
from collections.abc import AsyncIterator, Container, Iterator
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from ..inventory import Inventory
from . import interop, store
from .pages import PageCache
from .queue import STATUSES, Filters, queue

HERE = Path(__file__).resolve().parent

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class Guard:
    """Refuses requests from other origins and state changes without the CSRF token, and sets
    the security headers on every answer."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        origin = request.headers.get("origin")
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if origin is not None and origin != own:
            await PlainTextResponse("other origins are refused", status_code=403)(scope, receive, send)
            return
        if request.headers.get("sec-fetch-site") == "cross-site":
            await PlainTextResponse("cross-site requests are refused", status_code=403)(scope, receive, send)
            return
        if request.method not in ("GET", "HEAD") and not hmac.compare_digest(
            request.headers.get("x-csrf-token", ""), self.token
        ):
            await PlainTextResponse("missing or wrong CSRF token", status_code=403)(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cache-control", b"no-store"),
                ]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _float(value: str | None, default: float) -> float:
    try:
        return min(1.0, max(0.0, float(value))) if value not in (None, "") else default
    except ValueError:
        return default


def filters_of(request: Request) -> Filters:
    q = request.query_params
    order = q.get("order", "confidence")
    status = q.get("status", "")
    return Filters(
        doc=q.get("doc", ""),
        field=q.get("field", ""),
        cls=q.get("cls", ""),
        low=_float(q.get("low"), 0.0),
        high=_float(q.get("high"), 1.0),
        status=status if status in STATUSES else "",
        order=order if order in ("confidence", "uncertainty") else "confidence",
    )


def _field_spans(record: dict[str, Any]) -> dict[str, list[int]]:
    """Which evidence spans each field's value was read from: the spans whose text holds it
    (records keep no finer link); fields read off the whole record point at every span."""
    spans = record.get("spans") or []
    texts = [str(s.get("text", "")).casefold() for s in spans]
    every = list(range(len(spans)))

    def holding(needles: list[str]) -> list[int]:
        found = [i for i, t in enumerate(texts) if any(n and n.casefold() in t for n in needles)]
        return found

    years = record.get("years") or {}
    out: dict[str, list[int]] = {
        "name": holding([record.get("name") or ""]),
        "funders": holding(record.get("funders") or []),
        "implementers": holding(record.get("implementers") or []),
        "recipients": holding(record.get("recipients") or []),
        "amounts": holding([a.get("text", "") for a in record.get("amounts") or []]),
        "years": holding([str(y) for y in (years.get("start"), years.get("end")) if y]),
    }
    for key in ("hard_soft", "scope", "modality", "themes"):
        out[key] = every
    return out


def _boxes(
    span: dict[str, Any], sizes: list[tuple[float, float]], pages: Container[int]
) -> Iterator[tuple[int, dict[str, float]]]:
    """The span's boxes on the pages shown, as percentages of the page (the image scales)."""
    for page, box in span.get("boxes") or []:
        if page in pages and len(box) == 4:
            w, h = sizes[page - 1]
            yield (
                page,
                {
                    "left": round(100 * box[0] / w, 3),
                    "top": round(100 * box[1] / h, 3),
                    "width": round(100 * (box[2] - box[0]) / w, 3),
                    "height": round(100 * (box[3] - box[1]) / h, 3),
                },
            )


def create_app(db: Path, reviewer: str = "analyst") -> Starlette:
    """The app over the inventory at ``db`` (one connection per request: SQLite connections are
    not shared between the server's threads)."""
    token = secrets.token_urlsafe(32)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # everything from a PDF is escaped, in every template
        undefined=jinja2.StrictUndefined,
    )
    templates = Jinja2Templates(env=env)
    pages = PageCache()
    registry = _registry_names()

    def inventory() -> Inventory:
        return Inventory(db)

    def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        base = {"csrf": token, "reviewer": reviewer, "db": db.name}
        return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)

    async def queue_page(request: Request) -> Response:
        filters = filters_of(request)
        with inventory() as inv:
            rows = queue(inv, filters)
            docs = [d["doc"] for d in inv.documents()]
        return render(
            request,
            "queue.html",
            {
                "rows": rows,
                "filters": filters,
                "query": filters.query(),
                "docs": docs,
                "fields": [*store.REVIEW_FIELDS, "detect"],
                "classes": [v for k in ("hard_soft", "scope", "modality") for v in store.ENUMS[k]],
                "statuses": STATUSES,
            },
        )

    async def record_page(request: Request) -> Response:
        rid = request.path_params["rid"]
        filters = filters_of(request)
        with inventory() as inv:
            row = inv.conn.execute("SELECT data FROM records WHERE id = ?", (rid,)).fetchone()
            if row is None:
                return render(request, "missing.html", {"what": rid}, status=404)
            record = json.loads(row[0])
            document = inv.document(record["doc"]) or {}
            state = store.state(inv, rid)
            history = store.log(inv, rid)
            ids = [r["id"] for r in queue(inv, filters)]
            siblings = [
                {"id": r[0], "name": r[1]}
                for r in inv.conn.execute(
                    "SELECT id, COALESCE(name, '') FROM records WHERE doc = ? AND id != ? ORDER BY seq",
                    (record["doc"], rid),
                )
            ]
        position = ids.index(rid) if rid in ids else -1
        previous = ids[position - 1] if position > 0 else None
        following = ids[position + 1] if 0 <= position < len(ids) - 1 else None
        pdf = Path(document.get("path", ""))
        try:
            sizes = pages.page_sizes(pdf)
        except Exception:  # the file moved or is unreadable: show the record without its pages
            sizes = []
        spans = record.get("spans") or []
        shown = sorted(
            {p for s in spans for p in (s.get("pages") or []) if p} or set(record.get("pages") or [])
        )
        shown = [p for p in shown if 1 <= p <= len(sizes)] or ([1] if sizes else [])
        page_boxes: dict[int, list[dict[str, Any]]] = {p: [] for p in shown}
        for n, span in enumerate(spans):
            for page, box in _boxes(span, sizes, page_boxes):
                page_boxes[page].append({"span": n, **box})
        confidence = record.get("confidence") or {}
        fields = [
            {
                "name": f,
                "value": record.get(f),
                "confidence": confidence.get(f),
                "spans": _field_spans(record).get(f, []),
                "reviewed": state["fields"].get(f),
            }
            for f in store.REVIEW_FIELDS
        ]
        data = {
            "record": rid,
            "doc": record["doc"],
            "version": state["version"],
            "fields": fields,
            "enums": store.ENUMS,
            "next": following,
            "previous": previous,
            "query": filters.query(),
            "sizes": {str(p): sizes[p - 1] for p in shown},
        }
        return render(
            request,
            "record.html",
            {
                "record": record,
                "document": document,
                "state": state,
                "history": history,
                "fields": fields,
                "spans": spans,
                "pages": shown,
                "page_boxes": page_boxes,
                "data": data,
                "siblings": siblings,
                "previous": previous,
                "following": following,
                "query": filters.query(),
                "position": position + 1,
                "total": len(ids),
                "registry": registry,
            },
        )

    async def document_page(request: Request) -> Response:
        """One page of a document with every record's evidence on it outlined: where an analyst
        adds a record the pipeline missed, on any page, even of a document with no record."""
        doc, page = request.path_params["doc"], request.path_params["page"]
        with inventory() as inv:
            document = inv.document(doc)
            records = inv.records(doc) if document else []
            states = {
                r[0]: r[1]
                for r in inv.conn.execute("SELECT record_id, status FROM review_state WHERE doc = ?", (doc,))
            }
        if document is None:
            return render(request, "missing.html", {"what": doc}, status=404)
        try:
            sizes = pages.page_sizes(Path(document["path"]))
        except Exception:  # the file moved or is unreadable
            return render(request, "missing.html", {"what": f"{doc} (its PDF)"}, status=410)
        if not 1 <= page <= len(sizes):
            return render(request, "missing.html", {"what": f"{doc} page {page}"}, status=404)
        on_page, boxes = [], []
        for record in records:
            found = [box for span in record.get("spans") or [] for _, box in _boxes(span, sizes, (page,))]
            if found:
                on_page.append(
                    {
                        "id": record["id"],
                        "name": record.get("name") or (record.get("evidence") or [""])[0][:90],
                        "status": states.get(record["id"], "unreviewed"),
                    }
                )
                boxes += [{"record": record["id"], **box} for box in found]
        data = {"doc": doc, "sizes": {str(page): sizes[page - 1]}}
        return render(
            request,
            "page.html",
            {
                "document": document,
                "page": page,
                "count": len(sizes),
                "records": on_page,
                "boxes": boxes,
                "data": data,
            },
        )

    async def page_image(request: Request) -> Response:
        doc, page = request.path_params["doc"], request.path_params["page"]
        with inventory() as inv:
            document = inv.document(doc)
        if document is None:
            return PlainTextResponse("no such document in the inventory", status_code=404)
        try:
            data = pages.image(Path(document["path"]), page)
        except IndexError:
            return PlainTextResponse("no such page", status_code=404)
        except Exception:
            return PlainTextResponse("the document's file cannot be read", status_code=410)
        return Response(data, media_type="image/png", headers={"cache-control": "private, max-age=3600"})

    async def page_text(request: Request) -> Response:
        body = await _json(request)
        doc, page = str(body.get("doc", "")), _int(body.get("page"))
        box = body.get("box")
        with inventory() as inv:
            document = inv.document(doc)
        if document is None or page is None or not _is_box(box):
            return JSONResponse({"error": "no such document, page or box"}, status_code=404)
        try:
            text = pages.text_in(Path(document["path"]), page, tuple(float(v) for v in box))  # type: ignore[arg-type]
        except IndexError:
            return JSONResponse({"error": "no such page"}, status_code=404)
        return JSONResponse({"text": text})

    async def decide(request: Request) -> Response:
        body = await _json(request)
        action = str(body.get("action", "decide"))
        who = str(body.get("reviewer") or reviewer)
        try:
            with inventory() as inv:
                if action == "decide":
                    version = store.decide(
                        inv,
                        str(body.get("record", "")),
                        str(body.get("field", "")),
                        str(body.get("decision", "")),
                        who,
                        _int(body.get("version")) or 0,
                        body.get("value"),
                    )
                    return JSONResponse({"version": version})
                if action == "merge":
                    version = store.merge(
                        inv,
                        str(body.get("record", "")),
                        str(body.get("other", "")),
                        who,
                        _int(body.get("version")) or 0,
                        _int(body.get("other_version")) or 0,
                    )
                    return JSONResponse({"version": version})
                if action == "split":
                    new = store.split(
                        inv,
                        str(body.get("record", "")),
                        _int(body.get("at")) or 0,
                        who,
                        _int(body.get("version")) or 0,
                    )
                    return JSONResponse({"record": new})
                if action == "add":
                    box = body.get("box")
                    if not _is_box(box):
                        raise store.DecisionError("add: select a region of the page")
                    doc, page, text = (
                        str(body.get("doc", "")),
                        _int(body.get("page")) or 0,
                        str(body.get("text", "")),
                    )
                    document = inv.document(doc)
                    if document is None:
                        raise store.DecisionError(f"no document {doc!r} in the inventory")
                    try:
                        inside = pages.text_in(Path(document["path"]), page, tuple(float(v) for v in box))  # type: ignore[arg-type]
                    except IndexError as exc:
                        raise store.DecisionError(f"add: page {page} is not in {doc}") from exc
                    # Evidence is verbatim: the text must be read in the region (trimmed, not typed).
                    if not _words(text) or _words(text) not in _words(inside):
                        raise store.DecisionError(
                            "add: the text must be part of the text in the selected region"
                        )
                    new = store.add(inv, doc, page, text, [float(v) for v in box], who)
                    return JSONResponse({"record": new})
        except store.Conflict as exc:
            return JSONResponse({"error": str(exc), "conflict": True}, status_code=409)
        except store.DecisionError as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        except sqlite3.OperationalError as exc:
            return JSONResponse({"error": f"the inventory is busy, try again ({exc})"}, status_code=503)
        return JSONResponse({"error": f"unknown action {action!r}"}, status_code=400)

    async def other_version(request: Request) -> Response:
        with inventory() as inv:
            return JSONResponse({"version": store.state(inv, request.path_params["rid"])["version"]})

    async def export_reviews(request: Request) -> Response:
        with inventory() as inv:
            lines = interop.export_lines(inv)
        return Response(
            "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
            media_type="application/x-ndjson",
            headers={"content-disposition": 'attachment; filename="reviews.jsonl"'},
        )

    async def root(request: Request) -> Response:
        return RedirectResponse("/queue")

    routes = [
        Route("/", root),
        Route("/queue", queue_page),
        Route("/record/{rid}", record_page),
        Route("/doc/{doc}/page/{page:int}", document_page),
        Route("/page/{doc}/{page:int}.png", page_image),
        Route("/api/text", page_text, methods=["POST"]),
        Route("/api/decide", decide, methods=["POST"]),
        Route("/api/version/{rid}", other_version),
        Route("/export/reviews.jsonl", export_reviews),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        pages.close()

    app = Starlette(routes=routes, middleware=[Middleware(Guard, token=token)], lifespan=lifespan)
    app.state.csrf = token
    return app


def guarded(app: Starlette, hosts: list[str]) -> ASGIApp:
    """The app behind a Host check: only the names it was started on (no DNS rebinding)."""
    return TrustedHostMiddleware(app, allowed_hosts=hosts)


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _words(text: str) -> str:
    """Text with its white space folded, to compare a selection with what it was trimmed from."""
    return " ".join(text.split())


def _is_box(box: Any) -> bool:
    return isinstance(box, list) and len(box) == 4 and all(isinstance(v, int | float) for v in box)


def _registry_names() -> list[str]:
    """Canonical names of the actor registry, for the actor choices."""
    path = HERE.parent / "nlp" / "data" / "actors.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return sorted({row["canonical"] for row in csv.DictReader(handle) if row.get("canonical")})
