"""`wbtool serve` in a real browser: Debian's Chromium driven by Selenium through sign-in, a bad and a good upload
(drag and drop and the file picker), the verdict, the annotated download, the bureau's dashboard and send-back."""
import os
import shutil
import tempfile
import time
from pathlib import Path

import openpyxl
import pytest

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
if not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)):
    pytest.skip("Chromium (/usr/bin/chromium, /usr/bin/chromedriver) is not installed; .ci/run installs "
                "chromium chromium-driver", allow_module_level=True)
pytest.importorskip("selenium")
pytest.importorskip("starlette")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from servekit import (ADMIN_PASSWORD, UNITS, bad_file, free_port, start_server, stop, unit_file,  # noqa: E402
                      write_manifest, write_roster)
from workbook_tools.bureau.collect import unit_status  # noqa: E402

A = "440117101"
CODE = "ABCDE-FGHJK"
SHOTS = os.environ.get("WBTOOL_SHOTS")          # keep the screenshots there to look at them


@pytest.fixture
def server(tmp_path):
    port = free_port()
    roster = write_roster(tmp_path)
    proc = start_server(tmp_path / "汇总.db", roster, port, manifest=write_manifest(tmp_path, {A: CODE}))
    yield f"http://127.0.0.1:{port}", tmp_path
    stop(proc)


@pytest.fixture
def browser(tmp_path):
    downloads = tmp_path / "下载"
    downloads.mkdir()
    profile = tempfile.mkdtemp(prefix="wbtool-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--window-size=1280,1000", "--lang=zh-CN"):
        opts.add_argument(arg)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                           "download.prompt_for_download": False})
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    drv.downloads = downloads
    yield drv
    drv.quit()
    shutil.rmtree(profile, ignore_errors=True)


def shot(drv, name, tmp_path):
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    h = drv.execute_script("return document.body.scrollHeight")
    drv.set_window_size(1280, min(max(h + 40, 700), 4000))
    drv.save_screenshot(str(folder / f"{name}.png"))
    assert (folder / f"{name}.png").stat().st_size > 5000


def wait(drv, css, timeout=60):
    return WebDriverWait(drv, timeout).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))


def wait_text(drv, css, text, timeout=60) -> str:
    """The text of ``css`` once it contains ``text``: after a form post the old page's element may still be found
    (then goes stale when the new page loads), so look it up afresh until the new page shows the text."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    def shown(d):
        got = d.find_element(By.CSS_SELECTOR, css).text
        return got if text in got else False
    return WebDriverWait(drv, timeout, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException)
                         ).until(shown)


def drop(drv, path: Path):
    """Drag and drop a file onto the drop zone, as a person does: the file goes through a DataTransfer."""
    inp = drv.execute_script("var i = document.createElement('input'); i.type = 'file'; i.id = 'dnd-source';"
                             "i.style.display = 'none'; document.body.appendChild(i); return i;")
    inp.send_keys(str(path))
    drv.execute_script("var f = document.getElementById('dnd-source').files[0]; var dt = new DataTransfer();"
                       "dt.items.add(f); var z = document.getElementById('drop-zone');"
                       "z.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));"
                       "z.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));")


def test_unit_and_bureau_in_chromium(server, browser, tmp_path):
    base, folder = server
    drv = browser
    bad, good = tmp_path / "太平镇自评表.xlsx", tmp_path / "太平镇自评表-修改后.xlsx"
    bad.write_bytes(bad_file(A))
    good.write_bytes(unit_file(A))

    drv.get(base + "/")
    wait(drv, "#unit").send_keys(A)
    drv.find_element(By.ID, "code").send_keys("wrong-code")
    drv.find_element(By.ID, "login-btn").click()
    assert "单位编码或访问码不对" in wait(drv, "#login-error").text
    drv.find_element(By.ID, "code").send_keys(CODE.lower())          # typed from paper: case does not matter
    drv.find_element(By.ID, "login-btn").click()
    wait(drv, "#drop-zone")
    assert "未报送" in drv.find_element(By.ID, "standing").text
    shot(drv, "1-unit-home", tmp_path)

    # the bad return, dragged and dropped: the verdict lists the problems with cell and fix
    t0 = time.monotonic()
    drop(drv, bad)
    verdict = wait(drv, "#verdict")
    assert time.monotonic() - t0 < 30
    assert "需修改后重新上传" in verdict.text
    cells = [e.text for e in drv.find_elements(By.CSS_SELECTOR, "tr.finding.error td.cell")]
    assert cells and all(c for c in cells)
    fixes = [e.text for e in drv.find_elements(By.CSS_SELECTOR, "tr.finding td.fix")]
    assert any(fixes)
    shot(drv, "2-verdict-bad", tmp_path)

    # the annotated copy downloads and carries the library's 校验结果 sheet
    drv.find_element(By.ID, "annotated").click()
    end = time.monotonic() + 30
    files = []
    while time.monotonic() < end:
        files = [p for p in drv.downloads.iterdir() if p.suffix == ".xlsx"]
        if files:
            break
        time.sleep(0.2)
    assert files, "the annotated copy was not downloaded"
    wb = openpyxl.load_workbook(files[0])
    assert "校验结果" in wb.sheetnames and "问题标注" in files[0].name

    # the corrected return through the plain file picker
    drv.get(base + "/unit")
    wait(drv, "#file").send_keys(str(good))
    verdict = wait(drv, "#verdict")
    assert "校验通过" in verdict.text and "95.86" in verdict.text
    shot(drv, "3-verdict-good", tmp_path)
    drv.get(base + "/unit")
    hist = wait(drv, "#history")
    assert len(hist.find_elements(By.CSS_SELECTOR, "tr")) == 3          # header + two submissions
    assert "通过" in drv.find_element(By.ID, "standing-status").text
    shot(drv, "4-unit-history", tmp_path)
    drv.find_element(By.CSS_SELECTOR, "header button").click()           # sign out
    wait(drv, "#unit")

    # the bureau: dashboard, drill-down, send-back
    drv.get(base + "/admin/login")
    wait(drv, "#password").send_keys(ADMIN_PASSWORD)
    drv.find_element(By.ID, "admin-login-btn").click()
    wait(drv, "#units")
    assert drv.find_element(By.ID, "count-通过").text == "1"
    assert drv.find_element(By.ID, "count-未报送").text == str(len(UNITS) - 1)
    assert drv.find_elements(By.CSS_SELECTOR, "svg.chart")
    shot(drv, "5-admin-dashboard", tmp_path)
    drv.find_element(By.LINK_TEXT, A).click()
    wait(drv, "#send-back-form")
    drv.find_element(By.ID, "note").send_keys("合同备案时效性扣分原因过于笼统，请写明具体合同及延迟天数。")
    drv.find_element(By.ID, "send-back-btn").click()
    assert "需退回" in wait_text(drv, "#standing-status", "需退回")
    assert "合同备案时效性" in drv.find_element(By.ID, "standing-note").text
    shot(drv, "6-admin-unit-sent-back", tmp_path)
    # the CLI's status reads the same database and agrees
    row = {r["unit_code"]: r for r in unit_status(folder / "汇总.db")}[A]
    assert row["status"] == "需退回" and "合同备案时效性" in row["note"]
    drv.get(base + "/admin/audit")
    audit = wait(drv, "#audit").text
    assert "退回" in audit and "上传" in audit
    shot(drv, "7-admin-audit", tmp_path)

    # the unit signs in again and sees the bureau's reason
    drv.find_element(By.CSS_SELECTOR, "header button").click()
    wait(drv, "#unit").send_keys(A)
    drv.find_element(By.ID, "code").send_keys(CODE)
    drv.find_element(By.ID, "login-btn").click()
    assert "合同备案时效性" in wait(drv, "#standing-note").text
    shot(drv, "8-unit-sent-back", tmp_path)
