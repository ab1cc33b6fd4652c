"""`wbtool collect`: find every returned workbook, check each once, record it, and consolidate the batch."""
from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from workbook_tools.errors import UnreadableInput, UsageError
from workbook_tools.numbers import to_float
from workbook_tools.files.tables import code_text

PASS, RETURN, UNREADABLE = "通过", "需退回", "无法读取"
EXTENSIONS = (".xlsx", ".xlsm", ".xls")     # .xls: read as a foreign form (foreign/review.py)
SUMMARY_FORMAT = 5      # bump when the summary workbook gains sheets: a cached summary of an older layout is rebuilt


def find_workbooks(inboxes: Iterable[str | Path], exclude: Iterable[Path] = ()) -> list[Path]:
    """Every .xlsx/.xlsm/.xls below the inboxes (recursively), without Office lock files or our own outputs."""
    skip = {Path(p).resolve() for p in exclude}
    found = []
    for inbox in inboxes:
        root = Path(inbox)
        if root.is_file():
            candidates = [root]
        elif root.is_dir():
            candidates = (p for p in root.rglob("*") if p.is_file())
        else:
            raise UsageError(f"收件文件夹 {root} 不存在。", f"inbox {root} does not exist")
        for p in candidates:
            if p.suffix.lower() in EXTENSIONS and not p.name.startswith("~$") and p.resolve() not in skip \
                    and not any(part.startswith(".") for part in p.relative_to(root).parts[:-1] if root.is_dir()):
                found.append(p)
    return sorted(set(found))


def process_file(path: str, expected_spec: str | None = None) -> dict:
    """Read and check one file; a plain dict so it crosses process boundaries. Never raises: bad input is the
    file's 无法读取, and so is a bug met inside this one file (its traceback saved to a log) — the batch goes on."""
    try:
        return _process_file(path, expected_spec)
    except Exception as e:          # noqa: BLE001 — one file's bug must not stop the batch
        return failed_record(path, e)


def failed_record(path: str, exc: BaseException, what: str = "处理该文件时") -> dict:
    """The 无法读取 record of a file whose processing failed inside wbtool (a bug, or its worker died)."""
    from workbook_tools.errors import save_traceback
    p = Path(path)
    log = save_traceback(exc, f"collect: {p}")
    try:
        st = p.stat()
        size, mtime, mtime_ns = st.st_size, st.st_mtime, st.st_mtime_ns
    except OSError:
        size, mtime, mtime_ns = -1, 0, 0
    msg = (f"{what}发生内部错误（{type(exc).__name__}: {exc}），这是 wbtool 的缺陷，不是该文件的问题"
           + (f"；详细信息见 {log}" if log else "") + "。请将该文件反馈给维护者。")
    # the path in the hash: a later run (a fixed wbtool) reads the same file again instead of reusing this verdict
    import hashlib
    return {"path": str(p), "file_name": p.name, "size": size, "mtime": mtime, "mtime_ns": -1,   # read next run
            "sha256": "failed:" + hashlib.sha256(f"{p}|{mtime_ns}|{log}".encode()).hexdigest(),
            "status": UNREADABLE, "readable": False, "error_code": "internal-error", "error_message": msg,
            "errors": 1, "warnings": 0, "findings": [{"code": "internal-error", "severity": "error", "cell": "",
                                                      "indicator": "", "message": msg, "explained": False}]}


def _process_file(path: str, expected_spec: str | None = None) -> dict:
    """``process_file`` without the safety net.

    A project workbook (项目清单 + one sheet per project) gives unit-level fields (the average score of its
    self-evaluated projects, summed money) plus one row per project in ``projects``; a one-project file of a
    project spec gives one such row too."""
    from workbook_tools.files.reader import read_workbook_forms
    from workbook_tools.checks.validate import validate_forms
    p = Path(path)
    try:
        st = p.stat()
    except OSError as e:       # gone or unreadable between finding and reading it
        import hashlib
        return {"path": str(p), "file_name": p.name, "size": -1, "mtime": 0, "mtime_ns": -1,
                "sha256": "missing:" + hashlib.sha256(str(p).encode()).hexdigest(), "status": UNREADABLE,
                "readable": False, "error_code": "file-missing", "error_message": f"文件 {p.name} 无法访问：{e.strerror or e}",
                "errors": 1, "warnings": 0, "findings": []}
    rec = {"path": str(p), "file_name": p.name, "size": st.st_size, "mtime": st.st_mtime,
           "mtime_ns": st.st_mtime_ns}
    try:
        forms = read_workbook_forms(p)
        rec["sha256"] = forms.sha256
    except UnreadableInput as e:
        from workbook_tools.foreign import is_foreign_candidate
        if is_foreign_candidate(p, e):    # not ours, or .xls: read it by its labels
            from workbook_tools.foreign.review import foreign_record
            return foreign_record(p, rec)
        rec.setdefault("sha256", _hash(p))
        rec.update(status=UNREADABLE, readable=False, error_code=e.code, error_message=e.zh, errors=1,
                   warnings=0, findings=[{"code": e.code, "severity": "error", "cell": "", "indicator": "",
                                          "message": e.zh, "explained": False}])
        rec.update(_unreadable_unit(p, e))
        return rec
    except OSError as e:
        rec.update(sha256=_hash(p) or f"oserror:{p}", status=UNREADABLE, readable=False, error_code="file-unreadable",
                   error_message=str(e), errors=1, warnings=0, findings=[])
        return rec
    report = validate_forms(forms)
    spec = forms.spec
    findings = [f.to_dict("zh") for f in report.findings]
    if expected_spec and spec.id != expected_spec and _same_kind(spec, expected_spec):
        findings.insert(0, {"code": "spec-unexpected", "severity": "error", "cell": "", "indicator": "",
                            "message": f"本次汇总的表单为 {expected_spec}，该文件为 {spec.id}（{spec.title}）。",
                            "explained": False})
    if forms.is_projects:
        rec.update(_projects_scores(forms, report, findings))
    else:
        ret = forms.forms[0]
        rec.update(_scores(ret, report.result))
        if spec.kind == "project":          # one project per file
            rec["data"]["kind"] = "project"
            rec["projects"] = [_project_row(ret, report.result, findings, ret.layout["cover.projectName"].sheet,
                                            whole_file=True)]
    rec.setdefault("data", {}).update(spec_origin=forms.meta.get("_spec_origin"),     # which copy read it (speclib)
                                      spec_sha256=forms.meta.get("_spec_sha256") or None)
    errors = sum(1 for f in findings if f["severity"] == "error")
    rec.update(readable=True, spec_id=spec.id, spec_version=spec.version, findings=findings,
               errors=errors, warnings=sum(1 for f in findings if f["severity"] == "warning"),
               status=RETURN if errors else PASS)
    return rec


def _unreadable_unit(p: Path, e) -> dict:
    """The unit of a workbook that opened but could not be checked (an old template, another form, a renamed
    sheet): its cover's 单位编码 / 单位名称, so the bureau's list names it instead of showing a blank row."""
    if getattr(e, "code", "") not in ("form-unknown", "spec-unknown", "spec-outdated", "sheet-missing"):
        return {}
    from workbook_tools.bureau.unitmatch import cover_unit
    found = cover_unit(p)
    if not found:
        return {}
    return {"unit_code": _code(found.get("code")), "unit_name": found.get("name") or "",
            "data": {"unit_from": "cover"}}


def _same_kind(spec, expected_spec: str) -> bool:
    """A project form in an overall batch is consolidated on its own sheets, not flagged: only a form of the
    same kind but another spec (an old overall form, say) cannot be summed with the batch. (A batch of project
    forms has no place for an overall form: that one is still flagged.)"""
    from workbook_tools.errors import SpecError
    from workbook_tools.model.spec import load_spec
    try:
        return not (spec.kind == "project" and load_spec(expected_spec).kind != "project")
    except (SpecError, OSError, ValueError):
        return True


def _project_row(ret, res, findings: list[dict], sheet: str, whole_file: bool = False) -> dict:
    """One project's row of the ``projects`` table: the 项目清单 values and its findings (those on its sheet)."""
    from workbook_tools.checks.validate import project_summary
    d = project_summary(ret, res)
    mine = findings if whole_file else [f for f in findings if f.get("sheet") == sheet]
    return {"sheet": sheet, "project_code": _clean(d["projectCode"]), "project_name": _clean(d["projectName"]),
            "fund_type": _clean(d["fundType"]), "budget": d["budget"], "actual": d["actual"],
            "exec_rate": d["exec_rate"], "total": d["total"], "display": d["display"], "grade": d["grade"],
            "status": d["status"], "errors": sum(1 for f in mine if f["severity"] == "error"),
            "warnings": sum(1 for f in mine if f["severity"] == "warning")}


def _projects_scores(forms, report, findings: list[dict]) -> dict:
    """Unit-level fields of a project workbook: cover of its first form, average score, summed money."""
    from workbook_tools.model.engine import tally_projects
    from workbook_tools.model.projectbook import fund_types
    from workbook_tools.files.reader import as_date
    first = forms.forms[0]
    cover = first.cover()
    dates = [as_date(f.inputs.get("cover.fillDate")) for f in forms.forms]
    dates = [d for d in dates if isinstance(d, dt.date)]
    tally = tally_projects(fund_types(forms.spec), [r.values for r in report.result])
    rows = [_project_row(ret, res, findings, ret.layout.form) for ret, res in zip(forms.forms, report.result)]
    return {"unit_code": _code(cover.get("agencyCode")), "unit_name": str(cover.get("unitName") or "").strip(),
            "fiscal_year": str(cover.get("fiscalYear") or ""),
            "fill_date": max(dates).isoformat() if dates else None,
            "total": to_float(tally.average), "display": to_float(tally.average), "grade": "",
            "budget": to_float(tally.budget), "actual": to_float(tally.actual), "exec_rate": to_float(tally.rate),
            "data": {"kind": "projects", "nodes": {}, "leaves": {}, "reasons": {},
                     "parent": str(cover.get("supervisor") or ""), "evaluated": tally.count,
                     "counts": dict(tally.counts)},
            "projects": rows}


def _code(code) -> str:
    return code_text(code) if code else ""


def _clean(v):
    return None if v is None else (str(v).strip() or None)


def _hash(p: Path) -> str | None:
    import hashlib
    try:
        with open(p, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest() if hasattr(hashlib, "file_digest") \
                else hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def _scores(ret, res=None) -> dict:
    """What the summary needs of one workbook: cover, money, subtotals, leaf scores and reasons."""
    from workbook_tools.model.engine import compute
    from workbook_tools.files.reader import as_date
    res = res or compute(ret.spec, ret.inputs)
    v = res.values
    cover = ret.cover()
    code = _code(cover.get("agencyCode"))
    fill = as_date(ret.inputs.get("cover.fillDate"))
    data = {"nodes": {n.id: to_float(res.node_scores.get(n.id)) for n in ret.spec.nodes() if not n.is_leaf},
            "leaves": {n.id: to_float(res.leaf_scores.get(n.id)) for n in ret.spec.leaves()},
            "reasons": {n.id: str(ret.inputs.get(f"node.{n.id}.reason")).strip() for n in ret.spec.leaves()
                        if ret.inputs.get(f"node.{n.id}.reason") not in (None, "")},
            "parent": str(cover.get("supervisor") or "")}
    return {"unit_code": code, "unit_name": str(cover.get("unitName") or "").strip(),
            "fiscal_year": str(cover.get("fiscalYear") or ""),
            "fill_date": fill.isoformat() if isinstance(fill, dt.date) else None,
            "total": to_float(res.total), "display": to_float(res.display), "grade": res.grade,
            "budget": to_float(v.get("funds.total.adjusted")), "actual": to_float(v.get("funds.total.actual")),
            "exec_rate": to_float(v.get("funds.exec_rate")), "data": data}


@dataclass
class CollectResult:
    files: list[str] = field(default_factory=list)
    read: int = 0
    cached: int = 0
    refreshed: int = 0          # unchanged files read again: recorded by a version without project rows
    submission_ids: dict[str, int] = field(default_factory=dict)    # path → submission id


def collect_files(store, paths: list[Path], *, jobs: int | None = None, expected_spec: str | None = None,
                  progress: Callable[[int], None] | None = None) -> CollectResult:
    """Record every file in ``store``; unchanged files (same path, size, mtime) are not read again."""
    out = CollectResult(files=[str(p) for p in paths])
    todo, seen = [], []
    known = store.known_files()
    stale = store.missing_projects(_project_spec_ids(store.spec_ids()))   # recorded before project rows existed
    for p in paths:
        try:
            st = p.stat()
        except OSError:        # vanished since the inbox was listed: processed (and reported) as unreadable
            todo.append(p)
            continue
        rp = str(p.resolve())
        hit = known.get(rp)
        sid = hit[2] if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns else None
        if sid is not None and sid in stale:
            out.refreshed += 1
            sid = None
        if sid is not None:
            out.submission_ids[str(p)] = sid
            out.cached += 1
            seen.append(rp)
            if progress:
                progress(1)
        else:
            todo.append(p)
    store.touch_files(seen)
    jobs = max(1, jobs or os.cpu_count() or 1)
    results = _map(todo, jobs, expected_spec)
    for p, rec in zip(todo, results):
        sid = store.add_submission(rec)
        store.link_file(str(p.resolve()), rec["size"], rec["mtime_ns"], rec["sha256"], sid)
        out.submission_ids[str(p)] = sid
        out.read += 1
        if progress:
            progress(1)
    return out


def _project_spec_ids(spec_ids) -> set[str]:
    from workbook_tools.errors import SpecError
    from workbook_tools.model.spec import load_spec
    out = set()
    for sid in spec_ids:
        try:
            if load_spec(sid).kind == "project":
                out.add(sid)
        except (SpecError, OSError, ValueError):   # a spec no longer shipped: its submissions stay as recorded
            continue
    return out


def _map(paths: list[Path], jobs: int, expected_spec):
    """Results in order, streamed: memory holds a bounded window of records, not the batch. A worker that dies
    (killed, out of memory) costs only the file it was reading: that file is tried once more alone, the pool
    is started afresh for the rest."""
    if jobs == 1 or len(paths) < 4:
        for p in paths:
            yield process_file(str(p), expected_spec)
        return
    from collections import deque
    from concurrent.futures.process import BrokenProcessPool
    todo = deque(paths)
    while todo:
        broken = None
        with ProcessPoolExecutor(max_workers=jobs, mp_context=_context(),
                                 initializer=_watch_parent, initargs=(os.getpid(), _spec_refs())) as pool:
            window = jobs * 8
            futures = deque()
            while todo and len(futures) < window:
                p = todo.popleft()
                futures.append((p, pool.submit(process_file, str(p), expected_spec)))
            while futures:
                p, f = futures.popleft()
                try:
                    rec = f.result()
                except BrokenProcessPool as e:
                    broken = (p, e)
                    todo.extendleft(reversed([q for q, _ in futures]))    # the rest go again, in order
                    break
                except Exception as e:     # noqa: BLE001 — a result that cannot come back is the file's verdict
                    rec = failed_record(str(p), e)
                if todo:
                    q = todo.popleft()
                    futures.append((q, pool.submit(process_file, str(q), expected_spec)))
                yield rec
        if broken is not None:
            yield _alone(broken[0], expected_spec, broken[1])


def _alone(p: Path, expected_spec, first_error) -> dict:
    """A file whose worker died, read once more in a worker of its own: its record, or 无法读取 if it dies again."""
    from concurrent.futures.process import BrokenProcessPool
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=_context(),
                                 initializer=_watch_parent, initargs=(os.getpid(), _spec_refs())) as pool:
            return pool.submit(process_file, str(p), expected_spec).result()
    except BrokenProcessPool:
        return failed_record(str(p), first_error, "读取该文件的进程意外退出（可能内存不足），")
    except Exception as e:     # noqa: BLE001
        return failed_record(str(p), e)


def _context():
    """Not fork: workers must not inherit the database lock. A forkserver with our modules preloaded
    starts workers as fast as fork; elsewhere (Windows, macOS default) spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["workbook_tools.bureau.collect", "workbook_tools.checks.validate", "workbook_tools.checks"])
        return ctx
    return multiprocessing.get_context("spawn")


def learn_specs(store, subs) -> None:
    """Every spec of the returns that the search path lacks, from a return's own copy (speclib), so the summary
    and later ``status`` / ``report --summary`` find it; the copy's text is kept in the database."""
    from workbook_tools.errors import SpecError
    from workbook_tools.model import speclib
    wanted = {(s["spec_id"], s.get("spec_version") or ""): s for s in subs if s.get("readable") and s.get("spec_id")}
    for (sid, version), s in sorted(wanted.items()):
        if speclib.find(sid, version) is not None:
            continue
        key = f"spec:{sid}@{version}"
        text = speclib.text_of_return(s["path"], sid, version) or store.get_meta(key)
        if not text:
            continue
        try:
            speclib.learn(speclib.spec_from_text(text, f"{s['path']}!{speclib.SPEC_SHEET}"))
        except SpecError:
            continue
        if store.get_meta(key) != text:
            store.set_meta(key, text)


def _spec_refs() -> tuple[str, ...]:
    from workbook_tools.model.speclib import explicit_refs
    return explicit_refs()


def _watch_parent(parent: int, specs: tuple[str, ...] = ()):
    """In a worker: exit when the collect process is gone (killed), instead of lingering forever; ``specs``:
    the collect's --spec files, first for their ids here too (speclib)."""
    from workbook_tools.model import speclib
    for ref in specs:
        speclib.use(ref)
    import threading
    import time

    def watch():                 # the parent is the collect process, not the forkserver: ask if it lives
        while True:
            time.sleep(0.5)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except OSError:          # alive but not ours to signal (Windows semantics differ): keep going
                pass
    threading.Thread(target=watch, daemon=True).start()


# ------------------------------------------------------------------ choosing one file per unit

def single_project(s: dict) -> dict | None:
    """The project row of a one-project file of a project spec (not of a project workbook), else None."""
    kind = (s.get("data") or {}).get("kind")
    rows = s.get("projects") or []
    if kind == "project" or (kind is None and len(rows) == 1):
        return rows[0] if rows else None
    return None


def is_project_workbook(s: dict) -> bool:
    return (s.get("data") or {}).get("kind") == "projects"


def form_kind(s: dict) -> str | None:
    """``project`` for a project workbook or a one-project file, ``overall`` for any other readable return
    (the 部门整体 form), None for a file that could not be read."""
    if not s.get("readable"):
        return None
    if s.get("projects") or (s.get("data") or {}).get("kind") in ("project", "projects"):
        return "project"
    return "overall"


def project_label(row: dict) -> str:
    code, name = row.get("project_code") or "", row.get("project_name") or ""
    return f"{name}（{code}）" if code and name else (code or name)


def current_key(s: dict) -> tuple[str, str]:
    """What one current return stands for: the unit's overall form, the unit's project workbook, or — for a
    one-project file — the unit's project (by project code, else project name). A unit's overall form and its
    project workbook are two returns, not duplicates of each other."""
    row = single_project(s)
    if row is not None:
        if row.get("project_code"):
            return s["unit_code"], "code:" + row["project_code"]
        if row.get("project_name"):
            return s["unit_code"], "name:" + row["project_name"]
    if form_kind(s) == "project":
        return s["unit_code"], "projects"
    return s["unit_code"], ""


def choose_current(subs: list[dict]) -> tuple[list[dict], list[dict]]:
    """One submission per unit — per (unit, project) for one-project files — (latest 填报日期, then latest
    modification time); the rest as duplicates."""
    by_key: dict[tuple[str, str], list[dict]] = {}
    singles = []
    for s in subs:
        if s["readable"] and s.get("unit_code"):
            by_key.setdefault(current_key(s), []).append(s)
        else:
            singles.append(s)
    kept, dups = [], []
    readable_units = {code for code, _ in by_key}
    for s in list(singles):
        if not s["readable"] and s.get("unit_code") in readable_units:
            singles.remove(s)
            dups.append({"unit_code": s["unit_code"], "unit_name": s.get("unit_name"), "kept": "",
                         "kept_path": "", "dropped": s["file_name"], "dropped_path": s["path"],
                         "reason": "该文件无法读取，已采用同一单位可读取的报送", "project": ""})
    for (code, proj), group in by_key.items():
        group.sort(key=lambda s: (s.get("fill_date") or "", s.get("mtime") or 0), reverse=True)
        best = group[0]
        kept.append(best)
        for other in group[1:]:
            if (other.get("fill_date") or "") != (best.get("fill_date") or ""):
                why = f"保留填报日期较晚的文件（{best.get('fill_date') or '无'} 晚于 {other.get('fill_date') or '无'}）"
            else:
                why = "填报日期相同，保留修改时间较晚的文件"
            dups.append({"unit_code": code, "unit_name": best.get("unit_name"), "kept": best["file_name"],
                         "kept_path": best["path"], "dropped": other["file_name"], "dropped_path": other["path"],
                         "reason": why, "project": project_label(single_project(best) or {})})
    return kept + singles, dups


STATUS_ORDER = {RETURN: 0, UNREADABLE: 1, "未报送": 2, PASS: 3}


def unit_view(group: list[dict]) -> dict:
    """One unit's standing from its current returns: the return itself, or — several one-project files — the
    worst status, summed errors and money, and the average score of its self-evaluated projects."""
    overall = [g for g in group if form_kind(g) == "overall"]
    if overall and len(overall) < len(group):      # the overall form stands for the unit; its projects beside it
        rest = [g for g in group if g not in overall]
        u = unit_view(overall)
        u["projects"] = [p for g in rest for p in g.get("projects") or []]
        u["project_status"] = min((g["status"] for g in rest), key=lambda x: STATUS_ORDER.get(x, 9))
        return u
    s = group[0]
    projects = [p for g in group for p in g.get("projects") or []]
    if len(group) == 1:
        return {"status": s["status"], "display": s.get("display"), "grade": s.get("grade"),
                "errors": s.get("errors"), "warnings": s.get("warnings"), "fill_date": s.get("fill_date"),
                "budget": s.get("budget"), "actual": s.get("actual"), "exec_rate": s.get("exec_rate"),
                "projects": projects}
    tally = project_tally(projects, spec_fund_types(s.get("spec_id")))
    return {"status": min((g["status"] for g in group), key=lambda x: STATUS_ORDER.get(x, 9)),
            "display": to_float(tally.average), "grade": "",
            "errors": sum(g.get("errors") or 0 for g in group), "warnings": sum(g.get("warnings") or 0 for g in group),
            "fill_date": max(g.get("fill_date") or "" for g in group) or None,
            "budget": to_float(tally.budget), "actual": to_float(tally.actual), "exec_rate": to_float(tally.rate),
            "projects": projects}


def project_tally(rows: list[dict], fund_types):
    """The engine's 项目清单 totals (count per 资金性质, average of self-evaluated projects) over stored rows."""
    from decimal import Decimal

    from workbook_tools.model.engine import tally_projects

    def dec(x):
        return None if x is None else Decimal(str(x))
    return tally_projects(fund_types, [{"list.status": r.get("status"), "list.fundType": r.get("fund_type"),
                                        "list.total": dec(r.get("display")), "list.budget": dec(r.get("budget")),
                                        "list.actual": dec(r.get("actual"))} for r in rows])


def spec_fund_types(spec_id) -> tuple[str, ...]:
    from workbook_tools.errors import SpecError
    from workbook_tools.model.projectbook import fund_types
    from workbook_tools.model.spec import load_spec
    try:
        return fund_types(load_spec(spec_id)) if spec_id else ()
    except (SpecError, OSError, ValueError):
        return ()


# ------------------------------------------------------------------ the whole job

def default_db_path(output: Path) -> Path:
    return output.with_suffix(".db")


def run_collect(inboxes, output, *, roster_path=None, db_path=None, jobs=None, spec_ref=None, feedback_dir=None,
                ledger=None, tolerance=None, progress_factory=None, on_wait=None, sample=None, seed=0,
                sample_csv=None) -> dict:
    """Collect every workbook under ``inboxes`` into ``output`` (summary.xlsx) and the database."""
    from workbook_tools.model.spec import load_spec
    from workbook_tools.bureau.store import apply_send_backs, open_store
    output = Path(output)
    db_path = Path(db_path) if db_path else default_db_path(output)
    roster = _read_roster(roster_path)
    spec = load_spec(spec_ref) if spec_ref else None
    exclude = [output, db_path] + ([Path(feedback_dir)] if feedback_dir else [])
    paths = [p for p in find_workbooks(inboxes, exclude) if not (feedback_dir and _inside(p, Path(feedback_dir)))]
    store = open_store(db_path)
    try:
        with store.lock(on_wait):
            run_id = store.start_run(inboxes)
            bar = progress_factory(len(paths)) if progress_factory else None
            res = collect_files(store, paths, jobs=jobs, expected_spec=spec.id if spec else None,
                                progress=bar.update if bar else None)
            if bar:
                bar.close()
            key = (_batch_key(res, roster_path, spec_ref, ledger, tolerance, feedback_dir) + f"|{sample}|{seed}|{sample_csv}"
                   + store.send_back_stamp())
            cached = store.get_meta(f"summary:{output.resolve()}")
            if cached and output.exists() and json.loads(cached).get("key") == key and not res.refreshed:
                # nothing changed since the last run wrote this summary: it would come out the same
                result = json.loads(cached)["result"]
                result.update(read=res.read, cached=res.cached, files=len(paths))
                if "link_checks" in result:      # nothing was checked again: every link is as recorded
                    result["link_checks"] = {"checked": 0, "cached": result.get("linked_units", 0), "seconds": 0.0}
                store.finish_run(run_id, len(paths), res.read, res.cached)
                return result
            from workbook_tools.bureau.summary import SummaryInput, write_summary   # pandas/openpyxl: only when there is work
            subs = store.submissions(set(res.submission_ids.values()))
            learn_specs(store, subs)           # specs known only from the returns' own copies, for the summary
            same_content = _attach_paths(subs, res.submission_ids)
            main_kind = main_form_kind(subs, spec)
            if spec is None:
                spec = _main_spec(subs, main_kind)
            name_unreadable(store, subs, roster)          # before choosing: a named .xls joins its unit
            kept, dups = choose_current(subs)
            apply_send_backs(store, kept)            # the bureau's send-backs (wbtool serve) stand in the summary
            dups = same_content + dups
            roster_verdicts(store, kept, roster)
            scale_verdicts(store, kept, roster)
            project_returns = [s for s in kept if form_kind(s) == "project"]
            mixed = main_kind == "overall" and bool(project_returns)
            links = link_checks(store, kept) if main_kind == "overall" else {"checked": 0, "cached": 0, "seconds": 0}
            main = [s for s in kept if form_kind(s) != "project"] if mixed else kept
            ledger_rows, ledger_found = [], None
            if ledger is not None:       # beside overall forms, project returns only against a project-level ledger
                ledger_rows, ledger_found = _crosscheck_rows([s for s in kept if not mixed or form_kind(s) != "project"
                                                              or ledger.has_projects], ledger, tolerance)
            ledger_returned = ledger_verdicts(store, kept, ledger_found, getattr(ledger, "name", "") if ledger else "")
            if spec is not None:     # beside overall forms, project returns are not "another form"
                _flag_other_specs(subs, spec, main_kind if main_kind == "overall" else None)
            flag_odd_copies(subs)
            findings = store.findings([s["id"] for s in subs])
            review, drawn = _review(kept, sample, seed, sample_csv)
            counts = write_summary(SummaryInput(spec, main, subs, findings, dups, roster, ledger_rows,
                                                projects=project_returns if mixed else None,
                                                review=review, sample=drawn, sample_label=(sample, seed)), output)
            feedback_failed: list[dict] = []
            feedback = (_feedback(kept, feedback_dir, mixed, feedback_failed, ledger_found)
                        if feedback_dir else [])
            result = {"schema": "wbtool.collect/1", "ok": all(s["status"] == PASS for s in kept),
                      "summary": str(output), "db": str(db_path), "files": len(paths), "read": res.read,
                      "cached": res.cached, "units": len({s["unit_code"] for s in kept if s.get("unit_code")}),
                      "statuses": counts["statuses"], "missing": counts["missing"], "duplicates": dups,
                      "feedback": feedback, "feedback_failed": feedback_failed, "spec": spec.id if spec else None,
                      "projects": sum(len(s.get("projects") or []) for s in kept),
                      "ledger_returned": ledger_returned,
                      "rows": [{**{k: s.get(k) for k in ("unit_code", "unit_name", "display", "grade", "status",
                                                          "errors", "warnings", "exec_rate", "file_name")},
                                "kind": form_kind(s), "projects": s.get("projects") or [],
                                **({"link": _link_view(s)} if (s.get("data") or {}).get("links") else {})}
                               for s in kept]}
            result["review"] = {"forms": len(review), "flagged": sum(1 for r in review if (r["diff"] or 0) > 0.005),
                                "sample": drawn, "seed": seed if sample else None}
            if mixed:       # the overall forms are the main rows; the project returns are counted beside them
                result["project_statuses"] = dict(Counter(s["status"] for s in project_returns))
                result["project_returns"] = len(project_returns)
                result["linked_units"] = links["checked"] + links["cached"]
                result["link_checks"] = {"checked": links["checked"], "cached": links["cached"],
                                         "seconds": round(links["seconds"], 3)}
            store.set_meta(f"summary:{output.resolve()}", json.dumps({"key": key, "result": result},
                                                                      ensure_ascii=False, default=str))
            store.finish_run(run_id, len(paths), res.read, res.cached)
    finally:
        store.close()
    return result


def _review(kept, sample, seed, sample_csv):
    """The 复核 lines of every current form and, with ``sample``, the reproducible 抽查 draw (also as CSV)."""
    from workbook_tools.foreign.review import draw_sample, review_rows, write_sample_csv
    rows = review_rows(kept)
    drawn = draw_sample(rows, sample, seed) if sample else None
    if drawn is not None and sample_csv:
        write_sample_csv(drawn, sample_csv)
    return rows, drawn


def _batch_key(res, roster_path, spec_ref, ledger, tolerance, feedback_dir) -> str:
    """Everything the summary depends on: which submissions sit at which paths, and the options."""
    import hashlib

    from workbook_tools import __version__
    h = hashlib.sha256()
    h.update(json.dumps(sorted(res.submission_ids.items()), ensure_ascii=False).encode())
    for extra in (roster_path, spec_ref, tolerance, feedback_dir, __version__, SUMMARY_FORMAT):
        h.update(repr(extra).encode())
    if roster_path:
        h.update(Path(roster_path).read_bytes())
    if ledger is not None:
        h.update(Path(ledger.source).read_bytes() if Path(ledger.source).exists() else repr(id(ledger)).encode())
    return h.hexdigest()


def _attach_paths(subs, submission_ids) -> list[dict]:
    """Show each submission under the path seen in this run; identical copies become duplicates."""
    paths: dict[int, list[str]] = {}
    for path, sid in sorted(submission_ids.items()):
        paths.setdefault(sid, []).append(path)
    dups = []
    for s in subs:
        first, *others = paths[s["id"]]
        s["path"], s["file_name"] = first, Path(first).name
        for other in others:
            dups.append({"unit_code": s.get("unit_code") or "", "unit_name": s.get("unit_name"), "kept": s["file_name"],
                         "kept_path": first, "dropped": Path(other).name, "dropped_path": other,
                         "reason": "两个文件内容完全相同，保留其一"})
    return dups


def _inside(p: Path, d: Path) -> bool:
    try:
        p.resolve().relative_to(d.resolve())
        return True
    except ValueError:
        return False


def _read_roster(path):
    if not path:
        return []
    from workbook_tools.bureau.roster import read_roster
    return read_roster(path)


def main_form_kind(subs, spec=None) -> str:
    """The kind the batch's main sheets (汇总, 指标得分, 未报送 …) are built from: the kind of ``--spec`` when given,
    else the overall form when any was returned, else the project forms. Beside overall forms, project returns
    go to their own sheets; in a batch of project forms every file is a main row, as before."""
    if spec is not None:
        return "project" if spec.kind == "project" else "overall"
    kinds = {form_kind(s) for s in subs}
    return "overall" if "overall" in kinds or "project" not in kinds else "project"


def _main_spec(subs, kind=None):
    from workbook_tools.model.spec import load_spec
    ids = Counter(s["spec_id"] for s in subs if s["readable"] and s.get("spec_id")
                  and (kind is None or form_kind(s) == kind))
    return load_spec(ids.most_common(1)[0][0]) if ids else None


def flag_odd_copies(subs) -> None:
    """Returns read by their own copy of the spec (no bureau copy on this machine): a copy that differs from the
    one most returns of the same id and version carry was edited, and its file is sent back, never silently scored
    by its own rules. (With the bureau's spec on the search path each such file has spec-embedded-mismatch.)"""
    groups: dict[tuple, list[dict]] = {}
    for s in subs:
        d = s.get("data") or {}
        if s.get("readable") and d.get("spec_origin") == "embedded" and d.get("spec_sha256"):
            groups.setdefault((s["spec_id"], s.get("spec_version")), []).append(s)
    for (sid, version), group in groups.items():
        counts = Counter(s["data"]["spec_sha256"] for s in group)
        if len(counts) < 2:
            continue
        (usual, n), = counts.most_common(1)
        for s in group:
            if s["data"]["spec_sha256"] == usual:
                continue
            if s["status"] == PASS:
                s["status"] = RETURN
                s["errors"] = (s.get("errors") or 0) + 1
            s.setdefault("notes", []).append(
                f"内嵌规格 {sid}（{version}）与其他 {n} 份报送的不同（sha256 {s['data']['spec_sha256'][:12]}，"
                f"多数为 {usual[:12]}）：隐藏的规格可能被改动；请用 --spec 或 WBTOOL_SPEC_PATH 给出财政局的规格后重新汇总")


def _flag_other_specs(subs, spec, kind=None):
    """Files of another form of the main kind cannot be consolidated with this batch: they must be returned.
    Returns of the other kind (project forms beside overall forms) are consolidated on their own sheets."""
    for s in subs:
        if kind is not None and form_kind(s) != kind:
            continue
        if s["readable"] and s.get("spec_id") and s["spec_id"] != spec.id and s["status"] == PASS:
            s["status"] = RETURN
            s["errors"] = (s.get("errors") or 0) + 1
            s.setdefault("notes", []).append(f"表单 {s['spec_id']} 与本次汇总的 {spec.id} 不同")


# ------------------------------------------------------------------ the overall form against the unit's projects

def _link_codes() -> tuple[str, ...]:
    from workbook_tools.checks.catalogue import CATALOGUE
    return tuple(sorted(c for c, e in CATALOGUE.items() if e.category == "links"))


def unit_project_tally(rows: list[dict], files: list[str], spec_ids: set[str]):
    """The ProjectTally of a unit's current project returns, from their recorded project rows (the same counts
    and average as ``projectlink.tally_project_files`` over those files, without reading them again).
    Raises UsageError where that function would: a project code twice, or project forms of two specs."""
    from workbook_tools.model.projectlink import ProjectTally
    if len(spec_ids) > 1:
        a, b = sorted(spec_ids)[:2]
        raise UsageError(f"项目自评表来自不同的表单（{a} 与 {b}）。", f"project forms come from different forms ({a}, {b})")
    seen: dict[str, str] = {}
    for r in rows:
        code = r.get("project_code")
        if code and code in seen:
            raise UsageError(f"项目编码 {code} 出现两次（{seen[code]} 与 {r['_file']}）。",
                             f"project code {code} appears twice ({seen[code]}, {r['_file']})")
        if code:
            seen[code] = r["_file"]
    return ProjectTally(project_tally(rows, spec_fund_types(next(iter(spec_ids), None))), list(files), len(rows))


def link_checks(store, kept: list[dict]) -> dict:
    """For every unit with a current overall form and current project returns: the overall form's project
    counts and average against those projects (the ``links`` checks of ``validate --projects``).

    The findings join the overall submission's findings in the database, and its error count and status follow
    (an error makes it 需退回); ``data["links"]`` records which project submissions they were checked against and
    the submission's own counts, so a later run checks again only when the unit's overall form or project returns
    changed, and undoes the check when the unit's project returns are gone."""
    from workbook_tools.errors import SpecError
    from workbook_tools.model.spec import load_spec
    start = time.perf_counter()
    stats = {"checked": 0, "cached": 0, "cleared": 0, "seconds": 0.0}
    projects: dict[str, list[dict]] = {}
    for s in kept:
        if form_kind(s) == "project" and s.get("unit_code"):
            projects.setdefault(s["unit_code"], []).append(s)
    codes, linkable = None, {}
    for s in kept:
        if form_kind(s) != "overall":
            continue
        data = s.get("data") or {}
        state = data.get("links")
        mine = sorted(projects.get(s.get("unit_code") or "", []), key=lambda p: p["path"])
        sid = s.get("spec_id")
        if sid not in linkable:
            try:
                linkable[sid] = bool(sid) and bool(load_spec(sid).funds.project_counts)
            except (SpecError, OSError, ValueError):    # a spec no longer shipped: nothing to check against
                linkable[sid] = False
        if not mine or not linkable[sid]:
            if state:             # checked in an earlier batch, no project returns now: back to the file's own verdict
                codes = codes or _link_codes()
                _store_links(store, s, codes, [], None)
                stats["cleared"] += 1
            continue
        key = [s["id"], sorted(p["id"] for p in mine)]
        if state and state.get("key") == key:
            stats["cached"] += 1
            continue
        codes = codes or _link_codes()
        link = {"key": key, "forms": sum(len(p.get("projects") or []) for p in mine),
                "files": [p["path"] for p in mine], "base": (state or {}).get("base")}
        found = []
        try:
            rows = [{**r, "_file": p["file_name"] + (f" {r['sheet']}" if is_project_workbook(p) else "")}
                    for p in mine for r in p.get("projects") or []]
            pt = unit_project_tally(rows, [p["path"] for p in mine], {p["spec_id"] for p in mine if p.get("spec_id")})
            found = _link_findings(s, pt, codes)
        except (UsageError, UnreadableInput, OSError) as e:
            link["problem"] = getattr(e, "zh", None) or str(e)
        except Exception as e:       # noqa: BLE001 — a bug in one unit's check must not stop the batch
            from workbook_tools.errors import save_traceback
            log = save_traceback(e, f"collect link check: {s.get('path')}")
            link["problem"] = f"内部错误（{type(e).__name__}: {e}）" + (f"，详细信息见 {log}" if log else "")
        _store_links(store, s, codes, found, link)
        stats["checked"] += 1
    stats["seconds"] = time.perf_counter() - start
    return stats


def _link_findings(s: dict, pt, codes) -> list[dict]:
    from workbook_tools.files.reader import read_workbook_forms
    from workbook_tools.checks.validate import validate_forms
    forms = read_workbook_forms(s["path"])
    if forms.sha256 != s["sha256"]:
        raise UnreadableInput(f"{s['file_name']} 在汇总过程中被改动，请重新运行 collect。",
                              f"{s['file_name']} changed during the run; run collect again", code="file-changed")
    return [f.to_dict("zh") for f in validate_forms(forms, projects=pt, only=list(codes)).findings]


def _store_links(store, s: dict, codes, found: list[dict], link: dict | None):
    """Replace the submission's link findings (in the database and in ``s``); errors and status follow."""
    _store_batch(store, s, "links", codes, found, link)


BATCH_GROUPS = ("links", "ledger", "roster", "scale")   # findings that depend on the batch (project forms, ledger,
                                                       # roster, earlier years)


def _store_batch(store, s: dict, group: str, codes, found: list[dict], info: dict | None):
    """Replace one group of a submission's batch findings (the overall form against its project forms, the return
    against the bureau's ledger) in the database and in ``s``; its error count and status follow: the file's own
    counts (``data["own"]``) plus every group's. ``info`` None removes the group (not checked in this batch)."""
    data = dict(s.get("data") or {})
    own = data.get("own") or (data.get("links") or {}).get("base") \
        or {"errors": s.get("errors") or 0, "warnings": s.get("warnings") or 0}
    data["own"] = own
    if info is None:
        data.pop(group, None)
    else:
        info = dict(info)
        info["errors"] = sum(1 for f in found if f["severity"] == "error")
        info["warnings"] = sum(1 for f in found if f["severity"] == "warning")
        if group == "links":
            info["base"] = own
        data[group] = info
    errors = own["errors"] + sum((data.get(g) or {}).get("errors") or 0 for g in BATCH_GROUPS)
    warnings = own["warnings"] + sum((data.get(g) or {}).get("warnings") or 0 for g in BATCH_GROUPS)
    status = RETURN if errors else PASS
    if not s.get("readable"):
        status = s["status"]
    store.set_links(s["id"], codes, found, errors=errors, warnings=warnings, status=status, data=data)
    s.update(errors=errors, warnings=warnings, status=status, data=data)


def _link_view(s: dict) -> dict:
    link = (s.get("data") or {}).get("links") or {}
    return {"forms": link.get("forms"), "files": link.get("files"), "errors": link.get("errors"),
            "warnings": link.get("warnings"), "problem": link.get("problem")}


def link_note(s: dict) -> str:
    """The 汇总 备注 of an overall return checked against its unit's project forms."""
    link = (s.get("data") or {}).get("links")
    if not link:
        return ""
    if link.get("problem"):
        return f"未能与项目自评表核对项目数：{link['problem']}"
    note = f"开展绩效自评项目数已与 {link.get('forms', 0)} 个项目自评表核对"
    bad = (link.get("errors") or 0) + (link.get("warnings") or 0)
    return note + (f"，{bad} 处不一致" if bad else "，一致")


def name_unreadable(store, kept: list[dict], roster) -> int:
    """Unreadable returns without a unit (a .xls, a damaged file) named from the file name against the roster, so
    the unit shows as 无法读取 and not as 未报送. Returns how many were named."""
    from workbook_tools.bureau.unitmatch import unit_from_name
    named = 0
    for s in kept:
        if s.get("readable") or s.get("unit_code") or not roster:
            continue
        hit = unit_from_name(s["file_name"], roster)
        if hit:
            data = {**(s.get("data") or {}), "unit_from": "file name"}
            store.set_unit(s["id"], hit[0], hit[1], data)
            s.update(unit_code=hit[0], unit_name=hit[1], data=data)
            named += 1
    return named


def roster_verdicts(store, kept: list[dict], roster) -> None:
    """Every readable return against the roster (roster-unit-unknown, roster-name-mismatch): the findings join the
    return's own; without a roster in this run earlier ones are withdrawn."""
    from workbook_tools.bureau.unitmatch import roster_findings
    codes = ("roster-name-mismatch", "roster-unit-unknown")
    by_code = {u.code: u for u in roster}
    for s in kept:
        if not s.get("readable"):
            continue
        if not roster:
            if (s.get("data") or {}).get("roster"):
                _store_batch(store, s, "roster", codes, [], None)
            continue
        found = roster_findings(s, by_code)
        old = (s.get("data") or {}).get("roster")
        if not found and not old:
            continue
        _store_batch(store, s, "roster", codes, found, {"codes": [f["code"] for f in found]})


SCALE_RATIO = 100      # a budget this many times last year's (or the roster's 预算规模), or a hundredth of it


def scale_verdicts(store, kept: list[dict], roster) -> None:
    """Each overall return's budget total against the unit's return of the previous year in this database and the
    roster's 预算规模 where known (funds-scale-vs-last-year, a warning with both figures): a form typed in 元
    instead of 万元 is consistent in itself but 10,000 times its usual size."""
    from workbook_tools.checks.catalogue import CATALOGUE
    code = "funds-scale-vs-last-year"
    e = CATALOGUE[code]
    budgets = store.unit_budgets()
    scale = {u.code: _amount(getattr(u, "budget", "")) for u in roster or []}
    for s in kept:
        if not s.get("readable") or form_kind(s) != "overall":
            continue
        found = []
        b = s.get("budget")
        year = str(s.get("fiscal_year") or "")
        prev = budgets.get((s.get("unit_code") or "", str(int(year) - 1))) if year.isdigit() else None
        for ref, basis, basis_en in ((prev, f"该单位 {int(year) - 1 if year.isdigit() else ''} 年度报送的", "last year's"),
                                     (scale.get(s.get("unit_code") or ""), "名单中的预算规模", "the roster's scale")):
            if b and ref and ref > 0 and b > 0 and max(b / ref, ref / b) >= SCALE_RATIO:
                params = {"found": b, "expected": ref, "ratio": _ratio(b / ref), "basis": basis, "basis_en": basis_en,
                          "unit": "万元"}
                found.append({"code": code, "severity": e.severity, "cell": _total_cell(s), "indicator": "",
                              "message": e.render("zh", params), "expected": ref, "found": b, "explained": False,
                              "project": ""})
                break
        if found or (s.get("data") or {}).get("scale"):
            _store_batch(store, s, "scale", (code,), found, {"codes": [code] * len(found)} if found else None)


def _amount(text) -> float | None:
    """The roster's 预算规模 (万元): '1,200.5' → 1200.5; anything else None."""
    try:
        x = float(str(text or "").replace(",", "").replace("，", "").strip())
    except ValueError:
        return None
    return x if x > 0 else None


def _ratio(x: float) -> str:
    return f"{x:.0f}" if x >= 1 else f"{x:.4f}".rstrip("0")


def _total_cell(s: dict) -> str:
    from workbook_tools.errors import SpecError
    from workbook_tools.model.layout import layout_for
    from workbook_tools.model.spec import load_spec
    try:
        return layout_for(load_spec(s.get("spec_id")))["funds.total.adjusted"].addr
    except (SpecError, OSError, ValueError, KeyError):
        return ""


def _crosscheck_rows(kept, ledger, tolerance) -> tuple[list[dict], dict[int, list]]:
    """台账核对 rows: every form of each current return against the ledger (project workbooks per project), and
    each submission's ledger findings (Finding objects; a dict where the file could not be checked)."""
    from workbook_tools.bureau.crosscheck import crosscheck_forms, tolerance_of
    from workbook_tools.files.reader import read_workbook_forms
    kwargs = {"tolerance": tolerance_of(tolerance)} if tolerance is not None else {}
    rows, by_sub = [], {}
    for s in kept:
        if not s["readable"]:
            continue
        where = {"unit_code": s.get("unit_code"), "unit_name": s.get("unit_name"), "file_name": s["file_name"]}
        try:
            objs = crosscheck_forms(read_workbook_forms(s["path"]), ledger, **kwargs)
            found = [f.to_dict("zh") for f in objs]
        except UsageError as e:       # a project workbook against a ledger without 项目编码: say so, per file
            objs = found = [{"code": e.code, "severity": "error", "cell": "", "indicator": "", "message": e.zh,
                             "expected": None, "found": None, "project": "", "explained": False}]
        except (UnreadableInput, OSError) as e:     # changed or gone since it was checked
            objs = found = [{"code": getattr(e, "code", "file-unreadable"), "severity": "error", "cell": "",
                             "indicator": "", "message": getattr(e, "zh", str(e)), "expected": None, "found": None,
                             "project": "", "explained": False}]
        except Exception as e:       # noqa: BLE001 — a bug with one file: said on its row, the others go on
            from workbook_tools.errors import save_traceback
            log = save_traceback(e, f"collect ledger check: {s['path']}")
            objs = found = [{"code": "internal-error", "severity": "error", "cell": "", "indicator": "",
                             "expected": None, "found": None, "project": "", "explained": False,
                             "message": f"内部错误（{type(e).__name__}: {e}）" + (f"，详细信息见 {log}" if log else "")}]
        by_sub[s["id"]] = objs
        rows += [{**where, **d} for d in found]
    return rows, by_sub


def _ledger_codes() -> tuple[str, ...]:
    from workbook_tools.checks.catalogue import CATALOGUE
    return tuple(sorted(c for c, e in CATALOGUE.items() if e.category == "ledger"))


def ledger_verdicts(store, kept: list[dict], by_sub: dict[int, list] | None, ledger_name: str = "") -> int:
    """Ledger findings count like the file's own (issue 16): they join the submission's findings in the database,
    its error count and its status (an error makes it 需退回, with a feedback copy). Without a ledger in this run
    (``by_sub`` None) earlier ledger findings are withdrawn: the verdict follows the latest collect. Returns how many
    returns the ledger sends back."""
    codes = _ledger_codes()
    returned = 0
    for s in kept:
        if not s.get("readable"):
            continue
        objs = (by_sub or {}).get(s["id"])
        if objs is None:
            if (s.get("data") or {}).get("ledger"):
                _store_batch(store, s, "ledger", codes, [], None)
            continue
        found = [o if isinstance(o, dict) else o.to_dict("zh") for o in objs]
        # a file problem met while cross-checking (changed since read) is recorded under ledger-no-projects'
        # group only when it is a ledger code; others are kept as they are for the summary sheet
        stored = [f for f in found if f["code"] in codes]
        before = s["status"]
        _store_batch(store, s, "ledger", codes, stored, {"ledger": ledger_name})
        returned += before == PASS and s["status"] == RETURN
    return returned


def _feedback(kept, folder, mixed=False, failures: list[dict] | None = None, ledger_found=None) -> list[str]:
    """An annotated copy for every unit whose kept file has errors, named by unit code, never escaping ``folder``.
    An overall form checked against its projects carries the link findings too; beside overall forms a project
    workbook's copy is named …_项目工作簿_问题标注. One copy that cannot be made is listed in ``failures``
    (file, message); the others are still made."""
    from workbook_tools.files.annotate import annotate_workbook
    from workbook_tools.errors import WbtoolError
    from workbook_tools.files.safety import ensure_inside, fit_file_name, safe_path_component
    from workbook_tools.checks.validate import validate_workbook
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for s in kept:
        if s["status"] != RETURN or not s["readable"]:
            continue
        name = f"{safe_path_component(s.get('unit_code') or 'unknown')}_{safe_path_component(s.get('unit_name') or '')}"
        row = single_project(s)
        if row is not None and (row.get("project_code") or row.get("project_name")):   # a unit's several projects
            name += f"_{safe_path_component(row.get('project_code') or row.get('project_name'))}"
        elif mixed and is_project_workbook(s):
            name += "_项目工作簿"
        try:
            if (s.get("data") or {}).get("foreign"):     # a foreign form is never written: its problems as CSV
                from workbook_tools.foreign.review import feedback_csv
                written.append(feedback_csv(s["path"], ensure_inside(folder, folder / fit_file_name(name, "_问题清单.csv"))))
                continue
            dest = ensure_inside(folder, folder / fit_file_name(name, f"_问题标注{Path(s['path']).suffix.lower()}"))
            report = validate_workbook(s["path"], projects=_feedback_tally(s, kept))
            report.findings += [f for f in (ledger_found or {}).get(s["id"], []) if not isinstance(f, dict)]
            annotate_workbook(s["path"], report, dest)
        except WbtoolError as e:
            _feedback_failed(failures, s, e.zh)
            continue
        except OSError as e:
            _feedback_failed(failures, s, f"无法写入：{e.strerror or e}")
            continue
        except Exception as e:       # noqa: BLE001 — one copy's bug must not stop the others
            from workbook_tools.errors import save_traceback
            log = save_traceback(e, f"collect --feedback: {s['path']}")
            _feedback_failed(failures, s, f"内部错误（{type(e).__name__}: {e}）" + (f"，详细信息见 {log}" if log else ""))
            continue
        written.append(str(dest))
    return written


def _feedback_failed(failures, s: dict, message: str) -> None:
    if failures is not None:
        failures.append({"file": s["file_name"], "path": s["path"], "unit_code": s.get("unit_code") or "",
                         "unit_name": s.get("unit_name") or "", "message": message})


def _feedback_tally(s: dict, kept: list[dict]):
    """The unit's projects for an overall form that was checked against them (its annotated copy shows those
    findings too), else None."""
    link = (s.get("data") or {}).get("links")
    if not link or link.get("problem"):
        return None
    mine = [p for p in kept if form_kind(p) == "project" and p.get("unit_code") == s.get("unit_code")]
    rows = [{**r, "_file": p["file_name"]} for p in mine for r in p.get("projects") or []]
    try:
        return unit_project_tally(rows, [p["path"] for p in mine], {p["spec_id"] for p in mine if p.get("spec_id")})
    except UsageError:
        return None


def current_returns(db_path) -> tuple[list[dict], dict[str, int]]:
    """From a collect database alone: one current submission per unit, and each unit's submission count."""
    from workbook_tools.bureau.store import apply_send_backs, open_store
    if not Path(db_path).exists():
        raise UsageError(f"数据库 {db_path} 不存在，请先运行 wbtool collect。", f"database {db_path} does not exist")
    from workbook_tools.model import speclib
    store = open_store(db_path)
    try:
        speclib.learn_texts(store.metas("spec:"))       # the specs known only from the returns' own copies
        subs = store.submissions({sid for _, sid in store.current_files()})
        counts = store.submission_counts()
        kept = apply_send_backs(store, choose_current(subs)[0])     # the bureau's send-backs (wbtool serve)
    finally:
        store.close()
    return kept, counts


def unit_status(db_path, roster_path=None) -> list[dict]:
    """Who has returned, who passed, who must resubmit — from the database alone; one row per unit (a unit's
    one-project files make one row, with how many projects it returned)."""
    kept, counts = current_returns(db_path)
    groups: dict[str, list[dict]] = {}
    for s in kept:
        groups.setdefault(s.get("unit_code") or "\0" + s["path"], []).append(s)
    rows = []
    for group in groups.values():
        s = group[0]
        u = unit_view(group)
        projects = u["projects"]
        overall = next((g for g in group if form_kind(g) == "overall"), None) if len(group) > 1 else None
        if overall is not None:          # the overall form first: it is the unit's row, its projects beside it
            group = [overall] + [g for g in group if g is not overall]
            s = overall
        rows.append({"unit_code": s.get("unit_code") or "", "unit_name": s.get("unit_name") or "",
                     "status": u["status"], "display": u["display"], "grade": u["grade"], "errors": u["errors"],
                     "file": s["path"], "fill_date": u["fill_date"], "submissions": counts.get(s.get("unit_code"), 1),
                     "projects": len(projects), "projects_with_errors": sum(1 for p in projects if p.get("errors")),
                     "files": [g["path"] for g in group],
                     "project_status": u.get("project_status") or (u["status"] if form_kind(s) == "project" else None),
                     "note": "；".join(n for g in group for n in g.get("notes") or [])})
    if roster_path:
        have = {r["unit_code"] for r in rows}
        rows += [{"unit_code": u.code, "unit_name": u.name, "status": "未报送", "display": None, "grade": None,
                  "errors": None, "file": "", "fill_date": None, "submissions": 0, "projects": 0,
                  "projects_with_errors": 0, "files": [], "project_status": None, "note": ""}
                 for u in _read_roster(roster_path) if u.code not in have]
    return sorted(rows, key=lambda r: (STATUS_ORDER.get(r["status"], 9), r["unit_code"]))
