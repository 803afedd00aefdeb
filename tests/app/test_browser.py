"""Browser tier: the real app (real models, a copy of the real index) driven in headless chromium
the way a newcomer uses it: every control, each followed by a question, each step screenshotted.

Screenshots land in runs/browser/ (the list of controls and their screenshots is printed at the
end). Any "Error" toast or status on the page, and any traceback or warning in the app's log
(from its start on), fails the step where it appears. The tests run in file order on one page.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest

from ..browser_page import CONTROLS, LOG_PROBLEMS, SHOTS, Page, make_driver, open_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app(seeds_app):
    """The real app (app.py) over private copies of the seeds and index; its log is checked from the start."""
    return seeds_app.url, seeds_app.tmp, seeds_app.log


@pytest.fixture(scope="module")
def page(app):
    yield from open_page(app[0], app[2])


def test_examples_enter_send_citations_details_and_follow_up(app, page):
    page.wait(lambda: page.css("#chat button.example"))
    page.shot("01-first-screen.png", "page opened: example cards")
    answer = page.answered(lambda: page.css("#chat button.example")[0].click())
    assert (page.css(".message.user")[0].text.strip().startswith("绍兴市2024年")
            and ("[" in answer or "没有" in answer))
    page.shot("02-example-answered.png", "example card clicked → answered")

    answer = page.ask("绍兴市2023年地区生产总值是多少，增长了多少？", via="enter")
    assert "7791亿元" in answer and "[" in answer
    page.shot("03-enter.png", "question + Enter")
    page.css("#chat a.cite")[-1].click()
    card = page.wait(lambda: page.css("#sources .src-card.active"))[0]
    assert "绍兴市2024年政府工作报告" in card.text and "7791" in card.text
    page.shot("04-citation-clicked.png", "citation [n] clicked → its source card")
    text = page.details().text
    assert ("已被引用" in text and "语义相似度" in text and "BM25" in text
            and "引用指向：[" in text and "命中词：" in text)
    assert page.css("#chat details.rag-details mark.term") and "未提供给模型" in text
    page.shot("05-details-answered.png", "检索详情 of an answered question")

    assert "万人" in page.ask("绍兴市2023年新增城镇就业多少人？")
    page.shot("06-send.png", "question + 发送")
    follow = page.ask("那2024年的目标呢？")
    assert "9.5万人" in follow and "改写后的问题" in follow
    page.shot("07-follow-up.png", "follow-up question (rewritten)")


def test_another_place_and_a_refusal_say_what_the_answer_rests_on(page):
    page.ask("杭州市2023年地区生产总值是多少？")
    text = page.details().text
    # as a caution under an answer, or (the passages are all about other places) as the refusal's reason
    assert re.search(r"没有(段落)?提到问题中的“杭州(市)?”", text), text[:300]
    page.shot("08-details-another-place.png", "检索详情 of a question about a place no document is about")
    answer = page.ask("火星基地2030年计划建设多少个发射塔？")
    assert "没有相关信息" in answer
    text = page.details().text
    assert ("未回答的原因：" in text
            and re.search(r"得分最高的段落：《.+》.* 0\.\d\d", text)), text[:300]
    page.shot("09-details-refused.png", "检索详情 of a refused question")


def test_retry_button_and_icon(page):
    # the question 重试 asks again, and 👍/👎 rate
    assert "[" in page.ask("2023年绍兴市新增城镇就业多少人？")
    before = len(page.css("#chat .message.bot"))
    answer = page.answered(lambda: page.d.find_element(page.By.ID, "retry").click())
    assert len(page.css("#chat .message.bot")) == before and "[" in answer
    page.shot("12-retry.png", "重试 (button)")
    answer = page.answered(lambda: page.xpath("//*[@id='chat']//button[@aria-label='Retry']")[-1].click())
    assert len(page.css("#chat .message.bot")) == before and "[" in answer
    page.shot("13-retry-icon.png", "retry icon under the answer")


def test_like_and_dislike(app, page):
    feedback = app[1] / "feedback.jsonl"
    for n, (label, liked) in enumerate((("Like", True), ("Dislike", False)), 1):
        page.xpath(f"//*[@id='chat']//button[@aria-label='{label}']")[-1].click()
        rows = page.wait(lambda: feedback.is_file()
                         and len(lines := feedback.read_text(encoding="utf-8").splitlines()) >= n and lines)
        record = json.loads(rows[n - 1])
        assert (record["liked"] is liked and record["citations"] and record["index"]
                and "就业" in record["question"])
        page.shot(f"{13 + n}-{label.lower()}.png", f"{label} → feedback.jsonl")


def test_settings_top_k_timings_and_fast_model(page):
    from selenium.webdriver.common.keys import Keys

    page.xpath("//button[contains(., '设置')]")[0].click()
    number = page.wait(lambda: page.css("#top-k input[type=number]"))[0]
    number.send_keys(Keys.CONTROL, "a")
    number.send_keys("2", Keys.TAB)
    page.ask("南湖区2020年末常住人口有多少？")
    assert "模型看到 2 段" in page.css("#chat details.rag-details summary")[-1].text
    page.shot("16-top-k-2.png", "设置: 段落数 2")
    page.css("#timings input[type=checkbox]")[0].click()
    answer = page.ask("南湖区2021年的旅游总收入目标是多少？")
    assert "首字" not in answer and "总计" not in answer
    page.shot("17-timings-off.png", "设置: 显示耗时 off")
    page.xpath("//*[@id='model']//label[contains(., '0.5B')]")[0].click()
    answer = page.ask("越城区2021年计划新建多少个5G基站？")
    assert answer.strip()
    page.shot("18-fast-model.png", "设置: 0.5B model")
    page.xpath("//*[@id='model']//label[contains(., '1.5B')]")[0].click()
    page.css("#timings input[type=checkbox]")[0].click()
    number.send_keys(Keys.CONTROL, "a")
    number.send_keys("4", Keys.TAB)
    answer = page.ask("越城区2021年计划新建多少个5G基站？")
    assert "总计" in answer and "模型看到 4 段" in answer
    page.shot("19-settings-restored.png", "设置 back to the defaults, question")


def test_export_conversation(page):
    page.d.find_element(page.By.ID, "export").click()
    link = page.wait(lambda: page.css("#export-file a[href]"))[0]
    text = urllib.request.urlopen(link.get_attribute("href"), timeout=30).read().decode("utf-8")
    (SHOTS / "20-export.md").write_text(text, encoding="utf-8")
    assert (text.startswith("# ")
            and "## 问：绍兴市2023年地区生产总值是多少，增长了多少？" in text)
    assert re.search(r"\[1\] 《.+》.*第 \d+", text) and "\n> " in text
    page.shot("20-export.png", "导出对话 → Markdown")


def test_clear_and_trash_then_follow_up(page):
    page.d.find_element(page.By.ID, "clear").click()
    page.wait(lambda: not page.css("#chat .message") and page.css("#chat button.example"))
    page.shot("21-cleared.png", "清空")
    answer = page.ask("那2024年的目标呢？")
    assert "改写后的问题" not in answer  # nothing left to be a follow-up of
    page.shot("22-after-clear.png", "question after 清空")
    page.xpath("//*[@id='chat']//button[@aria-label='Clear']")[0].click()
    page.wait(lambda: not page.css("#chat .message") and "提问后" in page.css("#sources")[0].text)
    page.shot("23-trash.png", "chat's own clear (trash) icon")
    answer = page.answered(lambda: page.css("#chat button.example")[1].click())
    assert "[" in answer or "没有" in answer
    page.shot("24-after-trash.png", "example card after the trash icon")


def _documents_status(page, act, expect: str) -> str:
    """Do `act` and wait for the new status line (the previous one may say the same words)."""
    before = page.css("#doc-status")[0].text
    act()
    trackers = "#doc-status [data-testid=status-tracker], #doc-table [data-testid=status-tracker]"
    idle = lambda: all("hide" in e.get_attribute("class").split() for e in page.css(trackers))
    return page.wait(lambda: idle() and (t := page.css("#doc-status")[0].text) != before
                     and expect in t and t)


def test_upload_delete_reindex_each_then_a_question(app, page):
    _, tmp, _ = app
    new_doc = tmp / "柯桥区停车规划.txt"
    new_doc.write_text("柯桥区2025年停车设施建设计划\n\n"
                       "柯桥区2025年计划新建智慧停车场27个，"
                       "新增公共停车泊位4800个。\n", encoding="utf-8")
    page.tab("文档")
    page.wait(lambda: page.css("#upload input[type=file]"))[0].send_keys(str(new_doc))
    time.sleep(2)
    status = _documents_status(page, lambda: page.d.find_element(page.By.ID, "add-docs").click(),
                               "索引已更新")
    assert "柯桥区停车规划.txt" in status and "新嵌入" in status
    page.shot("25-uploaded.png", "上传 + 添加并更新索引")
    page.tab("问答")
    assert "27个" in page.ask("柯桥区2025年计划新建多少个智慧停车场？")
    page.shot("26-after-upload.png", "question about the uploaded document")

    page.tab("文档")
    page.css("#remove-choice input")[0].click()
    page.wait(lambda: page.css("#remove-choice li[role=option]"
                               "[aria-label='柯桥区停车规划.txt']"))[0].click()
    status = _documents_status(page, lambda: page.d.find_element(page.By.ID, "remove-doc").click(),
                               "已删除")
    assert "柯桥区停车规划.txt" not in page.css("#doc-table")[0].text
    page.shot("27-deleted.png", "删除并更新索引")
    page.tab("问答")
    assert "27个" not in page.ask("柯桥区2025年计划新建多少个智慧停车场？")
    page.shot("28-after-delete.png", "question about the deleted document")

    (tmp / "docs" / "上虞区公园计划.txt").write_text(
        "上虞区2025年城市公园建设计划\n\n"
        "上虞区2025年计划新建口袋公园36个，改造提升城市绿道18公里。\n",
        encoding="utf-8")
    page.tab("文档")
    status = _documents_status(page, lambda: page.d.find_element(page.By.ID, "reindex").click(),
                               "索引已更新")
    assert "上虞区公园计划.txt" in page.css("#doc-table")[0].text and "新嵌入" in status
    page.shot("29-reindexed.png", "重新扫描文档文件夹并更新索引")
    page.tab("问答")
    assert "36个" in page.ask("上虞区2025年计划新建多少个口袋公园？")
    page.shot("30-after-reindex.png", "question about a file added to the folder")


def test_narrow_screen_sources_below_the_chat(app):
    driver = make_driver(narrow=True)
    try:
        page = Page(driver, app[2])
        driver.get(app[0])
        page.wait(lambda: page.css("#chat button.example"))
        page.answered(lambda: page.css("#chat button.example")[3].click())
        chat, sources = page.css("#chat")[0].rect, page.css("#sources")[0].rect
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 390  # nothing sideways
        assert sources["y"] >= chat["y"] + chat["height"] and sources["width"] >= 300
        page.shot("31-narrow-390-chat.png", "390 px wide: chat")
        driver.execute_script("document.getElementById('sources').scrollIntoView({block: 'start'})")
        time.sleep(0.5)
        assert "src-card" in page.css("#sources")[0].get_attribute("innerHTML")
        page.shot("32-narrow-390-sources.png", "390 px wide: sources below the chat")
    finally:
        driver.quit()


def test_app_log_has_no_traceback_or_warning(app):
    log = app[2].read_text(errors="replace")
    assert "Running on local URL" in log
    assert not [line for line in log.splitlines() if LOG_PROBLEMS.search(line)]
    print("\ncontrols exercised (screenshot in runs/browser/):")
    for control, shot in CONTROLS:
        print(f"  {shot:34} {control}")
