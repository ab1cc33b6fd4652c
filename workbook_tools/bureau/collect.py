"""`wbtool collect`: find every returned workbook, check each once, record it, and consolidate the batch."""
from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from workbook_tools.bureau.batch import (crosscheck_rows, ledger_scope, ledger_verdicts, link_checks, main_form_kind,
                                         name_unreadable, read_as_recorded, roster_verdicts, scale_verdicts,
                                         summarise_current, unit_project_tally, _link_view)
from workbook_tools.bureau.records import (OVERALL, PASS, PROJECT, PROJECTS, RETURN, STATUS_ORDER, UNREADABLE,  # noqa: F401
                                           ProjectRow, Submission,
                                           choose_current, current_key, form_kind, is_project_workbook,
                                           single_project, unit_view)
from workbook_tools.errors import SpecError, UnreadableInput, UsageError, WbtoolError, save_traceback
from workbook_tools.numbers import to_float
from workbook_tools.files.tables import code_text
from workbook_tools import __version__
from workbook_tools.bureau.roster import read_roster
from workbook_tools.bureau.store import apply_send_backs, open_store
from workbook_tools.bureau.unitmatch import cover_unit
from workbook_tools.checks.validate import project_summary, validate_forms
from workbook_tools.files import specsheet
from workbook_tools.files import annotate      # the module: its writer is looked up at call time (tests replace it)
from workbook_tools.files.reader import as_date, read_workbook_forms
from workbook_tools.files.safety import ensure_inside, fit_file_name, safe_path_component
from workbook_tools.files.specsheet import load_spec
from workbook_tools.foreign import is_foreign_candidate
from workbook_tools.foreign.review import draw_sample, feedback_csv, foreign_record, review_rows, write_sample_csv
from workbook_tools.model import speclib
from workbook_tools.model.engine import compute, tally_projects
from workbook_tools.model.projectbook import fund_types
from workbook_tools.model.speclib import explicit_refs


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


def process_file(path: str, expected_spec: str | tuple[str, ...] | None = None) -> Submission:
    """Read and check one file into its record (plain data: it crosses process boundaries). Never raises: bad
    input is the file's 无法读取, and so is a bug met inside this one file (its traceback saved to a log) — the
    batch goes on."""
    try:
        return _process_file(path, expected_spec)
    except Exception as e:          # noqa: BLE001 — one file's bug must not stop the batch
        return failed_record(path, e)


def failed_record(path: str, exc: BaseException, what: str = "处理该文件时") -> Submission:
    """The 无法读取 record of a file whose processing failed inside wbtool (a bug, or its worker died)."""
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
    return Submission(path=str(p), file_name=p.name, size=size, mtime=mtime, mtime_ns=-1,    # read next run
                      sha256="failed:" + hashlib.sha256(f"{p}|{mtime_ns}|{log}".encode()).hexdigest(),
                      status=UNREADABLE, readable=False, error_code="internal-error", error_message=msg,
                      errors=1, warnings=0, findings=[_file_finding("internal-error", msg)])


def _file_finding(code: str, message: str) -> dict:
    return {"code": code, "severity": "error", "cell": "", "indicator": "", "message": message, "explained": False}


def _process_file(path: str, expected_spec: str | tuple[str, ...] | None = None) -> Submission:
    """``process_file`` without the safety net: the file stat'ed, read once (``read_workbook_forms``, whose hash
    is the record's), checked, and made a record.

    A project workbook (项目清单 + one sheet per project) gives unit-level fields (the average score of its
    self-evaluated projects, summed money) plus one row per project in ``projects``; a one-project file of a
    project spec gives one such row too."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError as e:       # gone or unreadable between finding and reading it
        import hashlib
        return Submission(path=str(p), file_name=p.name, sha256="missing:" + hashlib.sha256(str(p).encode()).hexdigest(),
                          status=UNREADABLE, readable=False, error_code="file-missing",
                          error_message=f"文件 {p.name} 无法访问：{e.strerror or e}", errors=1)
    rec = Submission(path=str(p), file_name=p.name, size=st.st_size, mtime=st.st_mtime, mtime_ns=st.st_mtime_ns,
                     sha256="", status=UNREADABLE, readable=False)
    try:
        forms = read_workbook_forms(p)
    except UnreadableInput as e:
        return _not_ours(rec, p, e)
    except OSError as e:
        return rec.set(sha256=_hash(p) or f"oserror:{p}", error_code="file-unreadable", error_message=str(e), errors=1)
    report = validate_forms(forms)
    spec = forms.spec
    findings = [f.to_dict("zh") for f in report.findings]
    named = expected_ids(expected_spec)
    if named and spec.id not in named and _same_kind(spec, named):
        findings.insert(0, _file_finding("spec-unexpected",
                                         f"本次汇总的表单为 {'、'.join(named)}，该文件为 {spec.id}（{spec.title}）。"))
    rec.sha256 = forms.sha256
    if forms.is_projects:
        _projects_scores(rec, forms, report, findings)
    else:
        ret = forms.forms[0]
        _scores(rec, ret, report.result)
        if spec.kind == "project":          # one project per file
            rec.kind = PROJECT
            rec.projects = [_project_row(ret, report.result, findings, ret.layout["cover.projectName"].sheet,
                                         whole_file=True)]
    rec.data.update(spec_origin=forms.meta.get("_spec_origin"),     # which copy read it (speclib)
                    spec_sha256=forms.meta.get("_spec_sha256") or None)
    errors = sum(1 for f in findings if f["severity"] == "error")
    return rec.set(readable=True, spec_id=spec.id, spec_version=spec.version, findings=findings,
                   errors=errors, warnings=sum(1 for f in findings if f["severity"] == "warning"),
                   status=RETURN if errors else PASS)


def _not_ours(rec: Submission, p: Path, e: UnreadableInput) -> Submission:
    """The record of a file our reader refused: a foreign form (or .xls) read by its labels, else 无法读取 with
    the reason and, where its cover can be read, its unit."""
    if is_foreign_candidate(p, e):
        return foreign_record(p, rec)
    rec.set(sha256=_hash(p), error_code=e.code, error_message=e.zh, errors=1, findings=[_file_finding(e.code, e.zh)])
    return _unreadable_unit(rec, p, e)


def _unreadable_unit(rec: Submission, p: Path, e) -> Submission:
    """The unit of a workbook that opened but could not be checked (an old template, another form, a renamed
    sheet): its cover's 单位编码 / 单位名称, so the bureau's list names it instead of showing a blank row."""
    if getattr(e, "code", "") not in ("form-unknown", "spec-unknown", "spec-outdated", "sheet-missing"):
        return rec
    found = cover_unit(p)
    if not found:
        return rec
    return rec.set(unit_code=_code(found.get("code")), unit_name=found.get("name") or "", data={"unit_from": "cover"})


def expected_ids(expected_spec) -> tuple[str, ...]:
    """The spec ids a batch collects: none (any), one id, or several (``collect --spec A --spec B``)."""
    if not expected_spec:
        return ()
    return (expected_spec,) if isinstance(expected_spec, str) else tuple(expected_spec)


def _same_kind(spec, named: tuple[str, ...]) -> bool:
    """A project form in an overall batch is consolidated on its own sheets, not flagged: only a form of the
    same kind but another spec (an old overall form, say) cannot be summed with the batch. (A batch of project
    forms has no place for an overall form: that one is still flagged.)"""
    try:
        return not (spec.kind == "project" and all(load_spec(e).kind != "project" for e in named))
    except (SpecError, OSError, ValueError):
        return True


def _project_row(ret, res, findings: list[dict], sheet: str, whole_file: bool = False) -> ProjectRow:
    """One project's row of the ``projects`` table: the 项目清单 values and its findings (those on its sheet)."""
    d = project_summary(ret, res)
    mine = findings if whole_file else [f for f in findings if f.get("sheet") == sheet]
    return ProjectRow(sheet=sheet, project_code=_clean(d["projectCode"]), project_name=_clean(d["projectName"]),
                      fund_type=_clean(d["fundType"]), budget=d["budget"], actual=d["actual"],
                      exec_rate=d["exec_rate"], total=d["total"], display=d["display"], grade=d["grade"],
                      status=d["status"], errors=sum(1 for f in mine if f["severity"] == "error"),
                      warnings=sum(1 for f in mine if f["severity"] == "warning"))


def _projects_scores(rec: Submission, forms, report, findings: list[dict]) -> Submission:
    """Unit-level fields of a project workbook: cover of its first form, average score, summed money."""
    first = forms.forms[0]
    cover = first.cover()
    dates = [as_date(f.inputs.get("cover.fillDate")) for f in forms.forms]
    dates = [d for d in dates if isinstance(d, dt.date)]
    tally = tally_projects(fund_types(forms.spec), [r.values for r in report.result])
    rows = [_project_row(ret, res, findings, ret.layout.form) for ret, res in zip(forms.forms, report.result)]
    return rec.set(unit_code=_code(cover.get("agencyCode")), unit_name=str(cover.get("unitName") or "").strip(),
                   fiscal_year=str(cover.get("fiscalYear") or ""),
                   fill_date=max(dates).isoformat() if dates else None,
                   total=to_float(tally.average), display=to_float(tally.average), grade="",
                   budget=to_float(tally.budget), actual=to_float(tally.actual), exec_rate=to_float(tally.rate),
                   kind=PROJECTS, data={"nodes": {}, "leaves": {}, "reasons": {},
                                        "parent": str(cover.get("supervisor") or ""), "evaluated": tally.count,
                                        "counts": dict(tally.counts)},
                   projects=rows)


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


def _scores(rec: Submission, ret, res=None) -> Submission:
    """What the summary needs of one workbook: cover, money, subtotals, leaf scores and reasons."""
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
    return rec.set(unit_code=code, unit_name=str(cover.get("unitName") or "").strip(),
                   fiscal_year=str(cover.get("fiscalYear") or ""),
                   fill_date=fill.isoformat() if isinstance(fill, dt.date) else None,
                   total=to_float(res.total), display=to_float(res.display), grade=res.grade,
                   budget=to_float(v.get("funds.total.adjusted")), actual=to_float(v.get("funds.total.actual")),
                   exec_rate=to_float(v.get("funds.exec_rate")), kind=OVERALL, data=data)


@dataclass
class CollectResult:
    files: list[str] = field(default_factory=list)
    read: int = 0
    cached: int = 0
    refreshed: int = 0          # unchanged files read again: recorded by a version without project rows
    submission_ids: dict[str, int] = field(default_factory=dict)    # path → submission id


def collect_files(store, paths: list[Path], *, jobs: int | None = None, expected_spec=None,
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
        store.link_file(str(p.resolve()), rec.size, rec.mtime_ns, rec.sha256, sid)
        out.submission_ids[str(p)] = sid
        out.read += 1
        if progress:
            progress(1)
    return out


def _project_spec_ids(spec_ids) -> set[str]:
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


def _alone(p: Path, expected_spec, first_error) -> Submission:
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
    wanted = {(s.spec_id, s.spec_version or ""): s for s in subs if s.readable and s.spec_id}
    for (sid, version), s in sorted(wanted.items(), key=lambda kv: kv[0]):
        if speclib.find(sid, version) is not None:
            continue
        key = f"spec:{sid}@{version}"
        text = specsheet.text_of_return(s.path, sid, version) or store.get_meta(key)
        if not text:
            continue
        try:
            speclib.learn(speclib.spec_from_text(text, f"{s.path}!{speclib.SPEC_SHEET}"))
        except SpecError:
            continue
        if store.get_meta(key) != text:
            store.set_meta(key, text)


def _spec_refs() -> tuple[str, ...]:
    return explicit_refs()


def _watch_parent(parent: int, specs: tuple[str, ...] = ()):
    """In a worker: exit when the collect process is gone (killed), instead of lingering forever; ``specs``:
    the collect's --spec files, first for their ids here too (speclib)."""
    for ref in specs:
        specsheet.use(ref)
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

# ------------------------------------------------------------------ the whole job

def default_db_path(output: Path) -> Path:
    return output.with_suffix(".db")


def run_collect(inboxes, output, *, roster_path=None, db_path=None, jobs=None, spec_ref=None, feedback_dir=None,
                ledger=None, tolerance=None, progress_factory=None, on_wait=None, sample=None, seed=0,
                sample_csv=None) -> dict:
    """Collect every workbook under ``inboxes`` into ``output`` (summary.xlsx) and the database: find the files,
    record each (read once), judge the batch, summarise it, write the feedback copies, report."""
    output = Path(output)
    db_path = Path(db_path) if db_path else default_db_path(output)
    roster = _read_roster(roster_path)
    specs = [load_spec(ref) for ref in expected_ids(spec_ref)]     # the forms the bureau named (--spec, repeatable)
    spec = specs[0] if specs else None
    paths = _inbox_files(inboxes, output, db_path, feedback_dir)
    store = open_store(db_path)
    try:
        with store.lock(on_wait):
            run_id = store.start_run(inboxes)
            res = _record_files(store, paths, jobs, specs, progress_factory)
            key = (_batch_key(res, roster_path, spec_ref, ledger, tolerance, feedback_dir) + f"|{sample}|{seed}|{sample_csv}"
                   + store.send_back_stamp())
            result = _cached_result(store, output, key, res, len(paths))
            if result is None:
                judged = _judge_batch(store, res, spec, roster, ledger, tolerance)
                review, drawn = _review(judged.kept, sample, seed, sample_csv)
                counts = summarise_current(store, judged.kept, output, spec=spec, specs=specs, subs=judged.subs,
                                           duplicates=judged.duplicates, roster=roster, ledger=ledger,
                                           ledger_rows=judged.ledger_rows, review=review, sample=drawn,
                                           sample_label=(sample, seed))
                feedback_failed: list[dict] = []
                feedback = (_feedback(judged.kept, feedback_dir, judged.mixed, feedback_failed, judged.ledger_found)
                            if feedback_dir else [])
                result = _result(judged, counts, res, output, db_path, len(paths), feedback, feedback_failed)
                result["review"] = {"forms": len(review), "flagged": sum(1 for r in review if (r["diff"] or 0) > 0.005),
                                    "sample": drawn, "seed": seed if sample else None}
                store.set_meta(f"summary:{output.resolve()}", json.dumps({"key": key, "result": result},
                                                                          ensure_ascii=False, default=str))
            store.finish_run(run_id, len(paths), res.read, res.cached)
    finally:
        store.close()
    return result


def _inbox_files(inboxes, output: Path, db_path: Path, feedback_dir) -> list[Path]:
    """The returns to collect: every workbook below the inboxes but our own outputs and feedback copies."""
    exclude = [output, db_path] + ([Path(feedback_dir)] if feedback_dir else [])
    return [p for p in find_workbooks(inboxes, exclude) if not (feedback_dir and _inside(p, Path(feedback_dir)))]


def _record_files(store, paths: list[Path], jobs, specs, progress_factory) -> CollectResult:
    """Every file read and checked once (or found unchanged) and recorded, with a progress bar when asked."""
    bar = progress_factory(len(paths)) if progress_factory else None
    try:
        return collect_files(store, paths, jobs=jobs, expected_spec=tuple(s.id for s in specs) or None,
                             progress=bar.update if bar else None)
    finally:
        if bar:
            bar.close()


def _cached_result(store, output: Path, key: str, res: CollectResult, found: int) -> dict | None:
    """The result of the last run that wrote this summary, when nothing it depends on changed since (the summary
    would come out the same and is not written again); else None."""
    cached = store.get_meta(f"summary:{output.resolve()}")
    if not (cached and output.exists() and json.loads(cached).get("key") == key and not res.refreshed):
        return None
    result = json.loads(cached)["result"]
    result.update(read=res.read, cached=res.cached, files=found)
    if "link_checks" in result:      # nothing was checked again: every link is as recorded
        result["link_checks"] = {"checked": 0, "cached": result.get("linked_units", 0), "seconds": 0.0}
    return result


@dataclass
class Judged:
    """The batch after its verdicts: every file's submission, the current returns, duplicates, ledger findings."""
    subs: list[Submission]
    kept: list[Submission]
    duplicates: list[dict]
    mixed: bool                         # overall forms with project returns beside them
    project_returns: list[Submission]
    links: dict
    ledger_rows: list[dict]
    ledger_found: dict | None
    ledger_returned: int


def _judge_batch(store, res: CollectResult, spec, roster, ledger, tolerance) -> Judged:
    """One current return per unit and every verdict that depends on the batch (roster, scale, the unit's
    project forms, the ledger), recorded in the database."""
    subs = store.submissions(set(res.submission_ids.values()))
    learn_specs(store, subs)           # specs known only from the returns' own copies, for the summary
    same_content = _attach_paths(subs, res.submission_ids)
    main_kind = main_form_kind(subs, spec)
    name_unreadable(store, subs, roster)          # before choosing: a named .xls joins its unit
    kept, dups = choose_current(subs)
    apply_send_backs(store, kept)            # the bureau's send-backs (wbtool serve) stand in the summary
    roster_verdicts(store, kept, roster)
    scale_verdicts(store, kept, roster)
    project_returns = [s for s in kept if form_kind(s) == "project"]
    mixed = main_kind == "overall" and bool(project_returns)
    links = link_checks(store, kept) if main_kind == "overall" else {"checked": 0, "cached": 0, "seconds": 0}
    ledger_rows, ledger_found = [], None
    if ledger is not None:
        ledger_rows, ledger_found = crosscheck_rows(ledger_scope(kept, ledger, mixed), ledger, tolerance)
    returned = ledger_verdicts(store, kept, ledger_found, getattr(ledger, "name", "") if ledger else "")
    return Judged(subs, kept, same_content + dups, mixed, project_returns, links, ledger_rows, ledger_found, returned)


def _result(judged: Judged, counts: Submission, res: CollectResult, output: Path, db_path: Path, found: int,
            feedback: list[str], feedback_failed: list[dict]) -> dict:
    """The run's result (``wbtool.collect/1``): what `wbtool collect` prints and ``--format json`` gives."""
    kept = judged.kept
    result = {"schema": "wbtool.collect/1", "ok": all(s.status == PASS for s in kept),
              "summary": str(output), "db": str(db_path), "files": found, "read": res.read,
              "cached": res.cached, "units": len({s.unit_code for s in kept if s.unit_code}),
              "statuses": counts["statuses"], "missing": counts["missing"], "duplicates": judged.duplicates,
              "feedback": feedback, "feedback_failed": feedback_failed, "spec": counts.get("spec"),
              "projects": sum(len(s.projects or []) for s in kept),
              "ledger_returned": judged.ledger_returned,
              "rows": [{**{k: getattr(s, k) for k in ("unit_code", "unit_name", "display", "grade", "status",
                                                        "errors", "warnings", "exec_rate", "file_name")},
                        "kind": form_kind(s), "projects": [p.as_dict() for p in s.projects],
                        **({"link": _link_view(s)} if (s.data or {}).get("links") else {})}
                       for s in kept]}
    if judged.mixed:       # the overall forms are the main rows; the project returns are counted beside them
        links = judged.links
        result["project_statuses"] = dict(Counter(s.status for s in judged.project_returns))
        result["project_returns"] = len(judged.project_returns)
        result["linked_units"] = links["checked"] + links["cached"]
        result["link_checks"] = {"checked": links["checked"], "cached": links["cached"],
                                 "seconds": round(links["seconds"], 3)}
    return result


def _review(kept, sample, seed, sample_csv):
    """The 复核 lines of every current form and, with ``sample``, the reproducible 抽查 draw (also as CSV)."""
    rows = review_rows(kept)
    drawn = draw_sample(rows, sample, seed) if sample else None
    if drawn is not None and sample_csv:
        write_sample_csv(drawn, sample_csv)
    return rows, drawn


def _batch_key(res, roster_path, spec_ref, ledger, tolerance, feedback_dir) -> str:
    """Everything the summary depends on: which submissions sit at which paths, and the options."""
    import hashlib

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
        first, *others = paths[s.id]
        s.path, s.file_name = first, Path(first).name
        for other in others:
            dups.append({"unit_code": s.unit_code or "", "unit_name": s.unit_name, "kept": s.file_name,
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
    return read_roster(path)


# ------------------------------------------------------------------ the overall form against the unit's projects

def _feedback(kept, folder, mixed=False, failures: list[dict] | None = None, ledger_found=None) -> list[str]:
    """An annotated copy for every unit whose kept file has errors, named by unit code, never escaping ``folder``.
    An overall form checked against its projects carries the link findings too; beside overall forms a project
    workbook's copy is named …_项目工作簿_问题标注. One copy that cannot be made is listed in ``failures``
    (file, message); the others are still made."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for s in kept:
        if s.status != RETURN or not s.readable:
            continue
        name = f"{safe_path_component(s.unit_code or 'unknown')}_{safe_path_component(s.unit_name or '')}"
        row = single_project(s)
        if row is not None and (row.project_code or row.project_name):   # a unit's several projects
            name += f"_{safe_path_component(row.project_code or row.project_name)}"
        elif mixed and is_project_workbook(s):
            name += "_项目工作簿"
        try:
            if (s.data or {}).get("foreign"):     # a foreign form is never written: its problems as CSV
                written.append(feedback_csv(s.path, ensure_inside(folder, folder / fit_file_name(name, "_问题清单.csv"))))
                continue
            dest = ensure_inside(folder, folder / fit_file_name(name, f"_问题标注{Path(s.path).suffix.lower()}"))
            # the recorded bytes, checked again for the marks: a file changed since it was recorded is refused
            report = validate_forms(read_as_recorded(s), projects=_feedback_tally(s, kept))
            report.findings += [f for f in (ledger_found or {}).get(s.id, []) if not isinstance(f, dict)]
            annotate.annotate_workbook(s.path, report, dest)
        except WbtoolError as e:
            _feedback_failed(failures, s, e.zh)
            continue
        except OSError as e:
            _feedback_failed(failures, s, f"无法写入：{e.strerror or e}")
            continue
        except Exception as e:       # noqa: BLE001 — one copy's bug must not stop the others
            log = save_traceback(e, f"collect --feedback: {s.path}")
            _feedback_failed(failures, s, f"内部错误（{type(e).__name__}: {e}）" + (f"，详细信息见 {log}" if log else ""))
            continue
        written.append(str(dest))
    return written


def _feedback_failed(failures, s: Submission, message: str) -> None:
    if failures is not None:
        failures.append({"file": s.file_name, "path": s.path, "unit_code": s.unit_code or "",
                         "unit_name": s.unit_name or "", "message": message})


def _feedback_tally(s: Submission, kept: list[Submission]):
    """The unit's projects for an overall form that was checked against them (its annotated copy shows those
    findings too), else None."""
    link = (s.data or {}).get("links")
    if not link or link.get("problem"):
        return None
    mine = [p for p in kept if form_kind(p) == "project" and p.unit_code == s.unit_code]
    rows = [(r, p.file_name) for p in mine for r in p.projects]
    try:
        return unit_project_tally(rows, [p.path for p in mine], {p.spec_id for p in mine if p.spec_id})
    except UsageError:
        return None


def current_returns(db_path) -> tuple[list[Submission], dict[str, int]]:
    """From a collect database alone: one current submission per unit, and each unit's submission count."""
    if not Path(db_path).exists():
        raise UsageError(f"数据库 {db_path} 不存在，请先运行 wbtool collect。", f"database {db_path} does not exist")
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
        groups.setdefault(s.unit_code or "\0" + s.path, []).append(s)
    rows = []
    for group in groups.values():
        s = group[0]
        u = unit_view(group)
        projects = u["projects"]
        overall = next((g for g in group if form_kind(g) == "overall"), None) if len(group) > 1 else None
        if overall is not None:          # the overall form first: it is the unit's row, its projects beside it
            group = [overall] + [g for g in group if g is not overall]
            s = overall
        rows.append({"unit_code": s.unit_code or "", "unit_name": s.unit_name or "",
                     "status": u["status"], "display": u["display"], "grade": u["grade"], "errors": u["errors"],
                     "file": s.path, "fill_date": u["fill_date"], "submissions": counts.get(s.unit_code, 1),
                     "projects": len(projects), "projects_with_errors": sum(1 for p in projects if p.errors),
                     "files": [g.path for g in group],
                     "project_status": u.get("project_status") or (u["status"] if form_kind(s) == "project" else None),
                     "note": "；".join(n for g in group for n in g.notes or [])})
    if roster_path:
        have = {r["unit_code"] for r in rows}
        rows += [{"unit_code": u.code, "unit_name": u.name, "status": "未报送", "display": None, "grade": None,
                  "errors": None, "file": "", "fill_date": None, "submissions": 0, "projects": 0,
                  "projects_with_errors": 0, "files": [], "project_status": None, "note": ""}
                 for u in _read_roster(roster_path) if u.code not in have]
    return sorted(rows, key=lambda r: (STATUS_ORDER.get(r["status"], 9), r["unit_code"]))
