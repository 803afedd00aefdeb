"""Browser tier: the real app (real models, a copy of the real index) driven in headless chromium.

Screenshots of every step land in runs/browser/ so a person can look at what the user sees.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT

from .conftest import SEEDS, start_app

pytestmark = pytest.mark.browser
SHOTS = PROJECT_ROOT / "runs" / "browser"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The real app over private copies of the seeds and index."""
    tmp = tmp_path_factory.mktemp("app")
    proc, url = start_app(tmp)
    yield url, tmp
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


def _wait(predicate, timeout=240, step=0.5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting for the page")


def _ask(driver, question: str, answers_before: int):
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.CSS_SELECTOR, "#question textarea")
    box.clear()
    box.send_keys(question)
    driver.find_element(By.ID, "send").click()
    # The final render adds the meta line (timings) under the answer.
    _wait(lambda: len(driver.find_elements(By.CSS_SELECTOR, "#chat .rag-meta")) > answers_before)
    bots = driver.find_elements(By.CSS_SELECTOR, "#chat .rag-meta")
    return bots[-1].find_element(By.XPATH, "./ancestor::*[contains(@class,'message')][1]").text


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_chat_citation_followup_and_upload(app_url, browser):
    from selenium.webdriver.common.by import By

    url, tmp = app_url
    browser.get(url)
    _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#question textarea"))
    browser.save_screenshot(str(SHOTS / "01-first-screen.png"))

    answer = _ask(browser, "绍兴市2023年地区生产总值是多少，增长了多少？", 0)
    assert "7791亿元" in answer and "[" in answer
    browser.save_screenshot(str(SHOTS / "02-answer.png"))

    browser.find_elements(By.CSS_SELECTOR, "#chat a.cite")[-1].click()
    card = _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#sources .src-card.active"))[0]
    line = _line_of(SEEDS / "001_95525c1d49c5bed8.txt", "7791亿元")
    assert "绍兴市2024年政府工作报告" in card.text and f"第 {line}" in card.text and "7791" in card.text
    browser.save_screenshot(str(SHOTS / "03-citation-clicked.png"))

    _ask(browser, "绍兴市2023年新增城镇就业多少人？", 1)
    follow = _ask(browser, "那2024年的目标呢？", 2)
    assert "9.5万人" in follow and "改写后的问题" in follow
    browser.save_screenshot(str(SHOTS / "04-follow-up.png"))

    new_doc = tmp / "柯桥区停车规划.txt"
    new_doc.write_text("柯桥区2025年停车设施建设计划\n\n柯桥区2025年计划新建智慧停车场27个，新增公共停车泊位4800个。\n", encoding="utf-8")
    browser.find_element(By.XPATH, "//button[@role='tab' and contains(., '文档')]").click()
    _wait(lambda: browser.find_elements(By.CSS_SELECTOR, "#upload input[type=file]"))
    browser.find_element(By.CSS_SELECTOR, "#upload input[type=file]").send_keys(str(new_doc))
    time.sleep(2)
    browser.find_element(By.ID, "add-docs").click()
    status = _wait(lambda: "索引已更新" in (t := browser.find_element(By.ID, "doc-status").text) and t)
    assert "柯桥区停车规划.txt" in status and "新嵌入" in status
    browser.save_screenshot(str(SHOTS / "05-uploaded.png"))

    browser.find_element(By.XPATH, "//button[@role='tab' and contains(., '问答')]").click()
    answer = _ask(browser, "柯桥区2025年计划新建多少个智慧停车场？", 3)
    assert "27个" in answer
    browser.save_screenshot(str(SHOTS / "06-new-document-answer.png"))

    likes = browser.find_elements(By.XPATH, "//*[@id='chat']//button[@aria-label='Like' or @title='Like' or @aria-label='like']")
    likes[-1].click()
    feedback = tmp / "feedback.jsonl"
    record = json.loads(_wait(lambda: feedback.is_file() and feedback.read_text(encoding="utf-8").strip()).splitlines()[-1])
    assert record["liked"] is True and "27个" in record["answer"] and record["citations"] and record["index"]
