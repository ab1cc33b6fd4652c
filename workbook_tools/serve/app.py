"""The portal's web app (Starlette, server-side Jinja2 pages): routes, sessions, CSRF, upload limits, headers."""
from __future__ import annotations

import hmac
import re
import secrets
import tempfile
from functools import partial
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from workbook_tools.serve import charts
from workbook_tools.serve.portal import LoginRefused, Portal

SESSION_COOKIE, LOGIN_CSRF_COOKIE = "wbtool_session", "wbtool_csrf"
MULTIPART_SLACK = 64 * 1024            # form fields and boundaries around the file
TEMPLATES = Path(__file__).parent / "templates"
ACTIONS = {"login": "登录", "login-failed": "登录失败", "upload": "上传", "send-back": "退回", "withdraw-send-back": "撤销退回",
           "reset-code": "重置访问码", "import-codes": "导入访问码", "set-password": "设置管理员密码", "download": "下载"}
MESSAGES = {400: "请求无效。", 403: "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试。", 404: "没有这个页面，或您无权查看。",
            405: "不支持的请求方式。", 413: "文件太大。", 500: "服务器内部错误，请稍后重试或联系财政局。"}


class BodyLimit:
    """Refuse a request body over the limit — by Content-Length at once, else while it streams in."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return await _plain(send, 413, "上传内容超过大小限制。")
        seen = 0

        async def limited():
            nonlocal seen
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413)
            return msg
        return await self.app(scope, limited, send)


class SecurityHeaders:
    """No framing, no sniffing, scripts only from this server, pages never cached."""

    HEADERS = [(b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                            b"img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; "
                                            b"base-uri 'none'"),
               (b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
               (b"referrer-policy", b"same-origin"), (b"cache-control", b"no-store")]

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(msg):
            if msg["type"] == "http.response.start":
                names = {k.lower() for k, _ in msg.get("headers", [])}
                msg["headers"] = list(msg.get("headers", [])) + [h for h in self.HEADERS if h[0] not in names]
            await send(msg)
        return await self.app(scope, receive, with_headers)


async def _plain(send, status: int, text: str):
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def create_app(portal: Portal) -> Starlette:
    """The portal's app: each route a module-level handler given the shared _Web (below)."""
    w = _Web(portal)
    routes = [
        Route("/", partial(home, w)), Route("/login", partial(login, w), methods=["GET", "POST"]),
        Route("/admin/login", partial(admin_login, w), methods=["GET", "POST"]), Route("/logout", partial(logout, w), methods=["POST"]),
        Route("/unit", partial(unit_home, w)), Route("/unit/upload", partial(upload, w), methods=["POST"]),
        Route("/unit/uploads/{uid:int}", partial(unit_upload, w)), Route("/unit/uploads/{uid:int}/annotated", partial(unit_annotated, w)),
        Route("/admin", partial(admin_home, w)), Route("/admin/units/{code}", partial(admin_unit, w)),
        Route("/admin/units/{code}/send-back", partial(admin_send_back, w), methods=["POST"]),
        Route("/admin/units/{code}/withdraw", partial(admin_withdraw, w), methods=["POST"]),
        Route("/admin/units/{code}/reset-code", partial(admin_reset_code, w), methods=["POST"]),
        Route("/admin/uploads/{uid:int}", partial(admin_upload, w)), Route("/admin/uploads/{uid:int}/annotated", partial(admin_annotated, w)),
        Route("/admin/download/{what}", partial(admin_download, w)), Route("/admin/audit", partial(admin_audit, w)),
        Route("/static/portal.js", partial(script, w)),
    ]
    app = Starlette(routes=routes, exception_handlers={HTTPException: partial(on_http_error, w),
                                                       Exception: partial(on_error, w)})
    app.add_middleware(BodyLimit, limit=portal.cfg.max_upload + MULTIPART_SLACK)
    app.add_middleware(SecurityHeaders)
    app.state.portal = portal
    return app


class _Web:
    """What every page handler shares: the portal, the page templates, sign-in, CSRF and the two pages both a
    unit and the bureau see (an upload's verdict, its annotated copy)."""

    def __init__(self, portal: Portal):
        self.portal = portal
        self.env = env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]))
        env.globals.update(title=portal.cfg.title, max_mb=portal.cfg.max_upload // (1024 * 1024))
        env.filters["score"] = lambda v: "" if v is None else f"{v:.2f}"
        env.filters["action"] = lambda a: ACTIONS.get(a, a)

    def page(self, request: Request, name: str, http_status: int = 200, **ctx) -> HTMLResponse:
        ctx.setdefault("signed", getattr(request.state, "signed", None))
        return HTMLResponse(self.env.get_template(name).render(request=request, **ctx), status_code=http_status)

    @staticmethod
    def wants_json(request: Request) -> bool:
        return "application/json" in request.headers.get("accept", "")

    def ip(self, request: Request) -> str:
        return request.client.host if request.client else ""

    async def signed(self, request: Request, role: str | None = None):
        s = await run_in_threadpool(self.portal.session, request.cookies.get(SESSION_COOKIE))
        request.state.signed = s
        if s is None or (role and s.role != role):
            return None
        return s

    def to_login(self, request: Request, role: str = "unit"):
        if self.wants_json(request):
            return JSONResponse({"error": "未登录或登录已过期，请重新登录。"}, status_code=401)
        return RedirectResponse("/admin/login" if role == "admin" else "/login", status_code=303)

    async def form_checked(self, request: Request, s) -> dict:
        """The form, after its CSRF token matched the session's (or, before sign-in, the login cookie's)."""
        form = await request.form(max_files=1, max_fields=20)
        want = s.csrf if s is not None else request.cookies.get(LOGIN_CSRF_COOKIE, "")
        got = str(form.get("csrf") or "")
        if not want or not hmac.compare_digest(want.encode(), got.encode()):
            raise HTTPException(403)
        return form

    def set_session(self, resp: Response, request: Request, tok: str):
        resp.set_cookie(SESSION_COOKIE, tok, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
        resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/")

    def login_page(self, request: Request, name: str, error: str = "", status: int = 200, **ctx):
        tok = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
        resp = self.page(request, name, status, csrf=tok, error=error, **ctx)
        resp.set_cookie(LOGIN_CSRF_COOKIE, tok, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
        return resp

    async def verdict_page(self, request: Request, unit: str | None):
        """One upload's verdict: a unit sees only its own (``unit``); the bureau (None) every unit's."""
        up = await run_in_threadpool(self.portal.upload_of, unit, request.path_params["uid"])
        if up is None:
            raise HTTPException(404)
        verdict = await run_in_threadpool(self.portal.verdict, up)
        base = f"/admin/uploads/{up['id']}" if unit is None else f"/unit/uploads/{up['id']}"
        return self.page(request, "verdict.html", up=up, verdict=verdict, base=base, admin=unit is None)

    async def annotated_of(self, unit, uid):
        up = await run_in_threadpool(self.portal.upload_of, unit, uid)
        if up is None:
            raise HTTPException(404)
        path = await run_in_threadpool(self.portal.annotated, up)
        if path is None:
            raise HTTPException(404)
        name = f"{up['unit_code']}_{Path(up['original_name']).stem}_问题标注{path.suffix}"
        return Response(path.read_bytes(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"content-disposition": _attachment(name)})


async def home(w: _Web, request: Request):
    s = await w.signed(request)
    if s is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/admin" if s.role == "admin" else "/unit", status_code=303)


async def login(w: _Web, request: Request):
    if request.method == "GET":
        return w.login_page(request, "login.html")
    form = await w.form_checked(request, None)
    try:
        tok = await run_in_threadpool(w.portal.login_unit, str(form.get("unit") or ""), str(form.get("code") or ""),
                                      w.ip(request))
    except LoginRefused as e:
        return w.login_page(request, "login.html", e.zh, 401, unit=str(form.get("unit") or "")[:64])
    resp = RedirectResponse("/unit", status_code=303)
    w.set_session(resp, request, tok)
    return resp


async def admin_login(w: _Web, request: Request):
    if request.method == "GET":
        return w.login_page(request, "admin_login.html")
    form = await w.form_checked(request, None)
    try:
        tok = await run_in_threadpool(w.portal.login_admin, str(form.get("password") or ""), w.ip(request))
    except LoginRefused as e:
        return w.login_page(request, "admin_login.html", e.zh, 401)
    resp = RedirectResponse("/admin", status_code=303)
    w.set_session(resp, request, tok)
    return resp


async def logout(w: _Web, request: Request):
    s = await w.signed(request)
    if s is not None:
        await w.form_checked(request, s)
        await run_in_threadpool(w.portal.logout, s)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


async def unit_home(w: _Web, request: Request):
    s = await w.signed(request, "unit")
    if s is None:
        return w.to_login(request)

    def load():
        return w.portal.standing(s.unit_code), w.portal.uploads_of(s.unit_code)
    standing, uploads = await run_in_threadpool(load)
    return w.page(request, "unit.html", standing=standing, uploads=uploads, unit=s.unit_code,
                  unit_name=w.portal.unit_name(s.unit_code) or standing.get("unit_name") or "",
                  idem=secrets.token_urlsafe(16))


async def upload(w: _Web, request: Request):
    s = await w.signed(request, "unit")
    if s is None:
        return w.to_login(request)
    form = await w.form_checked(request, s)
    f = form.get("file")
    if not isinstance(f, UploadFile) or not f.filename:
        return _error(request, w.page, 400, "请选择要上传的自评表（.xlsx）。", w.wants_json(request))
    data = await f.read()
    up = await run_in_threadpool(w.portal.receive, s.unit_code, f.filename, data, str(form.get("idem") or ""),
                                 w.ip(request))
    url = f"/unit/uploads/{up['id']}"
    if w.wants_json(request):
        return JSONResponse({"id": up["id"], "url": url, "outcome": up["outcome"], "sha256": up["sha256"],
                             "submission_id": up["submission_id"]})
    return RedirectResponse(url, status_code=303)


async def unit_upload(w: _Web, request: Request):
    s = await w.signed(request, "unit")
    if s is None:
        return w.to_login(request)
    return await w.verdict_page(request, s.unit_code)


async def unit_annotated(w: _Web, request: Request):
    s = await w.signed(request, "unit")
    if s is None:
        return w.to_login(request)
    return await w.annotated_of(s.unit_code, request.path_params["uid"])


async def admin_home(w: _Web, request: Request):
    s = await w.signed(request, "admin")
    if s is None:
        return w.to_login(request, "admin")

    def load():
        rows = w.portal.status()
        ov = w.portal.overview()
        return rows, ov
    rows, ov = await run_in_threadpool(load)
    from collections import Counter
    counts = Counter(r["status"] for r in rows)
    return w.page(request, "admin.html", rows=rows, counts=counts,
                  chart_status=charts.status_chart(rows) if rows else "",
                  chart_scores=charts.score_chart(rows),
                  chart_deductions=charts.deduction_chart(ov.leaves) if ov else "")


async def admin_unit(w: _Web, request: Request):
    s = await w.signed(request, "admin")
    if s is None:
        return w.to_login(request, "admin")
    unit = request.path_params["code"][:64]

    def load():
        return (w.portal.standing(unit), w.portal.uploads_of(unit), w.portal.unit_history(unit),
                w.portal.store.audit_log(unit, 100), w.portal.current_submissions(unit) if w.portal.cfg.db.exists() else [])
    standing, uploads, history, audit, current = await run_in_threadpool(load)
    if not (standing.get("submissions") or uploads or history or unit in w.portal.units):
        raise HTTPException(404)
    findings = {}
    for c in current:
        findings[c.id] = await run_in_threadpool(w.portal.verdict, {"submission": c})
    return w.page(request, "admin_unit.html", unit=unit, standing=standing, uploads=uploads, history=history,
                  audit=audit, current=current, findings=findings, new_code=None)


async def admin_upload(w: _Web, request: Request):
    s = await w.signed(request, "admin")
    if s is None:
        return w.to_login(request, "admin")
    return await w.verdict_page(request, None)


async def admin_annotated(w: _Web, request: Request):
    s = await w.signed(request, "admin")
    if s is None:
        return w.to_login(request, "admin")
    return await w.annotated_of(None, request.path_params["uid"])


async def admin_download(w: _Web, request: Request):
    s = await w.signed(request, "admin")
    if s is None:
        return w.to_login(request, "admin")
    what = request.path_params["what"]
    if what not in ("汇总表.xlsx", "汇总情况.docx", "汇总情况.html"):
        raise HTTPException(404)
    if not w.portal.cfg.db.exists():
        return _error(request, w.page, 400, "还没有任何报送。", False)
    with tempfile.TemporaryDirectory(prefix="wbtool-serve-") as d:
        out = Path(d) / ("summary.xlsx" if what.endswith(".xlsx") else "overview" + Path(what).suffix)
        fn = w.portal.summary_workbook if what.endswith(".xlsx") else w.portal.overview_report
        await run_in_threadpool(fn, out)
        data = out.read_bytes()
    await run_in_threadpool(lambda: w.portal.store.audit("财政局", "download", None, f"下载 {what}", w.ip(request)))
    media = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             ".html": "text/html; charset=utf-8"}[Path(what).suffix]
    return Response(data, media_type=media, headers={"content-disposition": _attachment(what)})


async def admin_audit(w: _Web, request: Request):
    s = await w.signed(request, "admin")
    if s is None:
        return w.to_login(request, "admin")
    rows = await run_in_threadpool(lambda: w.portal.store.audit_log(None, 1000))
    return w.page(request, "audit.html", rows=rows)


async def script(w: _Web, request: Request):
    return Response(PORTAL_JS, media_type="text/javascript; charset=utf-8",
                    headers={"cache-control": "no-cache"})


def _admin_unit_action(act):
    """A bureau POST about one unit: signed in as the bureau, CSRF checked, the unit code from the path."""
    async def handler(w: _Web, request: Request):
        s = await w.signed(request, "admin")
        if s is None:
            return w.to_login(request, "admin")
        form = await w.form_checked(request, s)
        return await act(w, request, form, request.path_params["code"][:64])
    return handler


@_admin_unit_action
async def admin_send_back(w: _Web, request: Request, form, unit: str):
    try:
        await run_in_threadpool(w.portal.send_back, unit, str(form.get("note") or ""), "财政局", w.ip(request))
    except ValueError as e:
        return _error(request, w.page, 400, str(e), False)
    return RedirectResponse(f"/admin/units/{quote(unit)}", status_code=303)


@_admin_unit_action
async def admin_withdraw(w: _Web, request: Request, form, unit: str):
    await run_in_threadpool(w.portal.withdraw, unit, "财政局", w.ip(request))
    return RedirectResponse(f"/admin/units/{quote(unit)}", status_code=303)


@_admin_unit_action
async def admin_reset_code(w: _Web, request: Request, form, unit: str):
    if unit not in w.portal.units and unit not in await run_in_threadpool(lambda: w.portal.store.access_code_units()):
        raise HTTPException(404)
    code = await run_in_threadpool(w.portal.reset_code, unit, "财政局", w.ip(request))
    return w.page(request, "code.html", unit=unit, unit_name=w.portal.unit_name(unit), code=code)


async def on_http_error(w: _Web, request: Request, exc: HTTPException):
    return _error(request, w.page, exc.status_code, MESSAGES.get(exc.status_code, exc.detail), w.wants_json(request))


async def on_error(w: _Web, request: Request, exc: Exception):
    return _error(request, w.page, 500, MESSAGES[500], w.wants_json(request))


def _error(request, page, status: int, message: str, as_json: bool):
    if as_json:
        return JSONResponse({"error": message}, status_code=status)
    return page(request, "message.html", status, message=message, status=status)


def _attachment(name: str) -> str:
    """A download name in Chinese for every browser (RFC 6266), with a plain ASCII fallback."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", name) or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


PORTAL_JS = r"""
// Upload by drag and drop or the file picker; the verdict page opens when the server has checked the file.
document.addEventListener('DOMContentLoaded', function () {
  var form = document.getElementById('upload-form');
  if (!form) return;
  var zone = document.getElementById('drop-zone');
  var input = form.querySelector('input[type=file]');
  var status = document.getElementById('upload-status');
  function newKey() {
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }
  function send(file) {
    var fd = new FormData();
    fd.append('csrf', form.elements['csrf'].value);
    fd.append('idem', newKey());          // the same key on every retry: the server records the file once
    fd.append('file', file, file.name);
    status.textContent = '正在上传并校验「' + file.name + '」…';
    zone.classList.add('busy');
    var tries = 0;
    function go() {
      fetch(form.action, {method: 'POST', body: fd, credentials: 'same-origin', headers: {'Accept': 'application/json'}})
        .then(function (r) { return r.json().then(function (j) { return {ok: r.ok, j: j}; }); })
        .then(function (x) {
          if (x.ok && x.j.url) { window.location.href = x.j.url; return; }
          zone.classList.remove('busy'); status.textContent = x.j.error || '上传失败，请重试。';
        })
        .catch(function () {
          if (++tries < 4) { status.textContent = '网络中断，正在重试（' + tries + '）…'; setTimeout(go, 1500 * tries); }
          else { zone.classList.remove('busy'); status.textContent = '网络错误，上传未完成，请稍后重试。'; }
        });
    }
    go();
  }
  zone.addEventListener('dragover', function (e) { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', function () { zone.classList.remove('over'); });
  zone.addEventListener('drop', function (e) {
    e.preventDefault(); zone.classList.remove('over');
    if (e.dataTransfer && e.dataTransfer.files.length) send(e.dataTransfer.files[0]);
  });
  input.addEventListener('change', function () { if (input.files.length) send(input.files[0]); });
  form.addEventListener('submit', function (e) {
    if (input.files.length) { e.preventDefault(); send(input.files[0]); }
  });
});
"""
