"""Fuzzing: absurd fills of every input cell and byte-level damage never end in a traceback or a hang."""
import io
import json
import random
import zipfile
from string import Formatter
from concurrent.futures import ProcessPoolExecutor

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from randomfill import fill_bytes

from conftest import SAMPLE
from workbook_tools.errors import WbtoolError
from workbook_tools.files.export import export_workbook
from workbook_tools.files.fill import fill_workbook
from workbook_tools.model.layout import layout_for
from workbook_tools.files.specsheet import load_spec
from workbook_tools.model.template import build_template
from workbook_tools.checks.validate import validate_workbook

SPEC = load_spec()
INPUTS = sorted(c.key for c in layout_for(SPEC).by_role("input"))
_TEMPLATE = {}

ODD = ["NaN", "nan", "inf", "-", "#DIV/0!", "2024-13-45", "2024年3月15日", "二〇二四年", "=1/0",
       "=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)", "😀" * 20, "x" * 10000, "达成", "≥", "不适用", "是",
       " ", "\t", "１２３", "99.74%", "结合自评情况，说明", "0x1F", "1e309", "None", "'", "\"", "<b>x</b>"]
VALUES = st.one_of(st.none(), st.integers(min_value=-10**18, max_value=10**18),
                   st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300),
                   st.text(max_size=30), st.sampled_from(ODD))


def template() -> bytes:
    if "t" not in _TEMPLATE:
        _TEMPLATE["t"] = build_template(SPEC)
    return _TEMPLATE["t"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(INPUTS), VALUES, max_size=60))
def test_fuzzed_fills_end_in_a_report(tmp_path, values):
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(fill_bytes(template(), SPEC, values))
    rep = validate_workbook(path)
    assert rep.readable
    json.dumps(rep.to_dict())                              # the report always serialises
    for f in rep.findings:                                 # every template field of every message is filled
        for tpl in (f.entry.message_zh, f.entry.message_en):
            assert {k for _, k, _, _ in Formatter().parse(tpl) if k} <= set(f.params), f.code
    try:
        fill_workbook(path, tmp_path / "out.xlsx")
    except WbtoolError as e:                               # a clear message is fine, a crash is not
        assert e.zh
    json.dumps(export_workbook(path), ensure_ascii=False)


def test_fuzzed_batch_collects(tmp_path):
    rng = random.Random(7)
    inbox = tmp_path / "in"
    inbox.mkdir()
    for i in range(12):
        vals = {k: rng.choice(ODD + [None, 0, -1, 1e12]) for k in rng.sample(INPUTS, 40)}
        (inbox / f"f{i}.xlsx").write_bytes(fill_bytes(template(), SPEC, vals))
    from workbook_tools.bureau.collect import run_collect
    result = run_collect([inbox], tmp_path / "s.xlsx", jobs=1)
    assert result["files"] == 12 and sum(result["statuses"].values()) >= 1


# ------------------------------------------------------------------ byte-level damage

def _rezip(data: bytes, edit) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    items = [(i, src.read(i.filename)) for i in src.infolist()]
    items = edit(items)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info, body in items:
            z.writestr(info.filename, body)
    return out.getvalue()


def _part(name, change):
    def edit(items):
        return [(i, change(b) if i.filename == name else b) for i, b in items]
    return edit


def corpus(seed: int = 2024, n_random: int = 60) -> list[tuple[str, bytes]]:
    data = SAMPLE.read_bytes()
    rng = random.Random(seed)
    cases = []
    for k in range(n_random):
        b = bytearray(data)
        for _ in range(rng.choice([1, 3, 20])):
            pos = rng.randrange(len(b))
            b[pos] ^= 1 << rng.randrange(8)
        cases.append((f"flip{k}", bytes(b)))
    for k, cut in enumerate(sorted(rng.sample(range(10, len(data)), 15))):
        cases.append((f"truncate{k}", data[:cut]))
    cases += [
        ("shuffled", _rezip(data, lambda items: rng.sample(items, len(items)))),
        ("broken-sheet-xml", _rezip(data, _part("xl/worksheets/sheet6.xml", lambda b: b[: len(b) // 2]))),
        ("broken-workbook-xml", _rezip(data, _part("xl/workbook.xml", lambda b: b.replace(b"<sheets>", b"<sheets><")))),
        ("duplicate-sheet-names", _rezip(data, _part("xl/workbook.xml",
                                                     lambda b: b.replace("name=\"汇总\"".encode(), "name=\"评分表\"".encode())))),
        ("missing-relationship", _rezip(data, _part("xl/_rels/workbook.xml.rels",
                                                    lambda b: b.replace(b'Id="rId5"', b'Id="rIdX"')))),
        ("missing-sheet-part", _rezip(data, lambda items: [(i, b) for i, b in items
                                                           if i.filename != "xl/worksheets/sheet6.xml"])),
        ("missing-styles", _rezip(data, lambda items: [(i, b) for i, b in items if i.filename != "xl/styles.xml"])),
        ("garbage-strings", _rezip(data, _part("xl/worksheets/sheet2.xml",
                                               lambda b: b.replace(b"<v>", b"<v>\xff\xfe", 3)))),
        ("bad-cell-refs", _rezip(data, _part("xl/worksheets/sheet6.xml", lambda b: b.replace(b'r="J8"', b'r="ZZZZ0"')))),
        ("empty-zip", _rezip(data, lambda items: [])),
    ]
    return cases


def _run_cli(path: str) -> tuple[int, str]:
    r = CliRunner().invoke(__import__("workbook_tools.cli", fromlist=["main"]).main, ["validate", path])
    return r.exit_code, r.output


def test_damaged_files_end_with_a_message_never_a_traceback(tmp_path):
    cases = corpus()
    paths = []
    for name, data in cases:
        p = tmp_path / f"{name}.xlsx"
        p.write_bytes(data)
        paths.append(p)
    bad = []
    with ProcessPoolExecutor(2) as pool:
        futures = [(p, pool.submit(_run_cli, str(p))) for p in paths]
        for p, fut in futures:
            code, out = fut.result(timeout=60)             # a hang fails the test instead of blocking CI
            if code not in (0, 1, 3) or "Traceback" in out or "内部错误" in out or (code == 3 and "错误" not in out):
                bad.append(f"{p.name}: exit {code}: {out[:300]}")
    assert not bad, "\n".join(bad)
    # the structural cases are all refused (exit 3), not silently read
    for name in ("broken-sheet-xml", "broken-workbook-xml", "missing-sheet-part", "empty-zip", "truncate0"):
        code, out = _run_cli(str(tmp_path / f"{name}.xlsx"))
        assert code == 3, (name, out)


# ------------------------------------------------------------------ odd but readable (issue 15's attack run)

def odd_corpus(d) -> list:
    """The kinds that found issue 15: relationships, numeric extremes, merged ranges, padded sheets, shared
    formulas — each a file validate reads (or refuses clearly), so every command must too."""
    import badfiles as b
    cases = [b.make_rel_to_part(d, "styles.xml"), b.make_rel_to_part(d, "theme/theme1.xml"),
             b.make_rel_to_part(d, "sharedStrings.xml", "关系指向共享字符串.xlsx", sheet=4),
             b.make_duplicate_entry(d), b.make_overlapping_merges(d),
             b.make_padded_sheet(d, "填充情况说明.xlsx", rows=30_000),
             b.make_padded_sheet(d, "填充评分表.xlsx", part="xl/worksheets/sheet6.xml", rows=30_000),
             b.make_padded_sheet(d, "填充收支情况.xlsx", part="xl/worksheets/sheet4.xml", rows=3_000, text_every=500),
             b.make_shared_formulas(d, "共享公式.xlsx", cells=5_000),
             b.make_shared_formulas(d, "表内共享公式.xlsx", part="xl/worksheets/sheet6.xml", cells=200, cols=2,
                                    first_row=45)]
    extremes = [b"1e308", b"-1e308", b"NaN", b"INF", b"-INF", b"1e15", b"-0", b"4.9e-324", b"1.7976931348623157e308",
                b"99999999999999999999", b"1e-400", b"0x10"]
    for k, v in enumerate(extremes):
        cases.append(b.make_numbers(d, {"C4": v, "D5": v, "G4": v}, f"极值{k}.xlsx"))
    return cases


def _run_all(path: str, out: str) -> list[str]:
    from workbook_tools.cli import main
    bad = []
    for args in (["validate", path], ["fill", path, "-o", out], ["export", path]):
        r = CliRunner().invoke(main, args)
        if r.exit_code not in (0, 1, 3) or "内部错误" in r.output or "Traceback" in r.output:
            bad.append(f"{args[0]} {path}: exit {r.exit_code}: {r.output[-300:]}")
        elif args[0] == "export" and r.exit_code == 0:
            try:
                json.loads(r.output, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
            except ValueError as e:
                bad.append(f"export {path}: not strict JSON ({e})")
        elif args[0] == "fill" and r.exit_code == 0:
            with zipfile.ZipFile(out) as z:
                for n in z.namelist():
                    if n.startswith("xl/worksheets/") and n.endswith(".xml"):
                        xml = z.read(n)
                        if b"</f><v>inf</v>" in xml.lower() or b"</f><v>nan</v>" in xml.lower():
                            bad.append(f"fill {path}: wrote a non-number into {n}")
    return bad


def test_odd_but_readable_files_every_command_gives_a_verdict(tmp_path):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = odd_corpus(tmp_path)
    with ProcessPoolExecutor(2) as pool:
        futures = [pool.submit(_run_all, str(p), str(tmp_path / f"out{i}.xlsx")) for i, p in enumerate(cases)]
        bad = [line for f in futures for line in f.result(timeout=300)]
    assert not bad, "\n".join(bad)


def test_odd_batch_collects_every_file_with_its_own_verdict(tmp_path):
    import warnings

    from workbook_tools.bureau.collect import run_collect
    inbox = tmp_path / "in"
    inbox.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = odd_corpus(inbox)
    result = run_collect([inbox], tmp_path / "s.xlsx", jobs=2, feedback_dir=tmp_path / "fb")
    assert (tmp_path / "s.xlsx").exists() and result["files"] == len(cases)
    from workbook_tools.bureau.store import open_store
    store = open_store(tmp_path / "s.db")
    try:
        subs = store.submissions({sid for _, sid in store.current_files()})
    finally:
        store.close()
    assert len(subs) == len(cases)
    assert all(s.status in ("通过", "需退回", "无法读取") for s in subs)
    assert not [s for s in subs if s.error_code == "internal-error"]
