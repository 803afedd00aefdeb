"""The browser tier's page driver: one user's page in headless chromium, and the checks every step makes."""

from __future__ import annotations

import re
import time
from pathlib import Path

from rag.config import PROJECT_ROOT

SHOTS = PROJECT_ROOT / "runs" / "browser"
LOG_PROBLEMS = re.compile(r"Traceback|Warning|Expected \d+ arguments|ERROR|Exception")
CONTROLS: list[tuple[str, str]] = []  # (control, screenshot) in the order exercised


_WATCH = """
window.ragBusy = () => [...document.querySelectorAll('#chat .message.bot')]
  .some(m => !m.querySelector('details.rag-details') && !m.textContent.includes('（已停止）'));
window.ragStarted = false;
if (window.ragObserver) window.ragObserver.disconnect();
window.ragObserver = new MutationObserver(() => { if (window.ragBusy()) window.ragStarted = true; });
window.ragObserver.observe(document.getElementById('chat'), \
{subtree: true, childList: true, characterData: true});
"""


def make_driver(narrow: bool = False):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,1000", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    # headless chromium will not make a window narrower than 500 px; a phone's viewport is emulated
    if narrow:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    return driver


class Page:
    """One user's page, with the few moves every step needs."""

    def __init__(self, driver, log: Path):
        from selenium.webdriver.common.by import By

        self.d, self.log, self.By = driver, log, By
        SHOTS.mkdir(parents=True, exist_ok=True)

    def css(self, selector: str):
        return self.d.find_elements(self.By.CSS_SELECTOR, selector)

    def xpath(self, path: str):
        return self.d.find_elements(self.By.XPATH, path)

    def wait(self, predicate, timeout: float = 300, step: float = 0.2):
        from selenium.common.exceptions import StaleElementReferenceException

        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if value := predicate():
                    return value
            except StaleElementReferenceException:  # re-rendered while looked at: look again
                pass
            time.sleep(step)
        self.d.save_screenshot(str(SHOTS / "timeout.png"))
        raise AssertionError("timed out waiting for the page (see runs/browser/timeout.png)")

    def last_bot(self) -> str:
        bots = self.css("#chat .message.bot")
        return bots[-1].text if bots else ""

    def answered(self, act) -> str:
        """Do `act`, then wait until an answer has been under way and every answer is finished again.

        An observer notes any moment the chat shows an unfinished answer (no details block, not
        stopped): Gradio re-renders old answers too, so counting finished ones could be fooled.
        """
        self.d.execute_script(_WATCH)
        act()
        self.wait(lambda: self.d.execute_script("return window.ragStarted && !window.ragBusy()"))
        self.scroll_chat("#chat .message.bot", "end")
        return self.last_bot()

    def scroll_chat(self, selector: str, block: str, above: int = 0) -> None:
        """Scroll the chat to the last `selector` (Gradio stops following new messages once a user has
        scrolled)."""
        self.d.execute_script("const e = [...document.querySelectorAll(arguments[0])].pop(); "
                              "e.scrollIntoView({block: arguments[1]});"
                              "const log = e.closest('[role=log]'); if (log) log.scrollTop -= arguments[2];",
                              selector, block, above)
        time.sleep(0.5)

    def ask(self, question: str, via: str = "send") -> str:
        from selenium.webdriver.common.keys import Keys

        def act():
            box = self.css("#question textarea")[0]
            box.clear()
            box.send_keys(question)
            box.send_keys(Keys.ENTER) if via == "enter" else self.d.find_element(self.By.ID, "send").click()
        return self.answered(act)

    def details(self):
        """The last answer's "检索详情", opened and scrolled into view."""
        block = self.css("#chat details.rag-details")[-1]
        if not block.get_attribute("open"):
            block.find_element(self.By.TAG_NAME, "summary").click()
        # the answer's own lines stay in view
        self.scroll_chat("#chat details.rag-details", "start", above=90)
        return block

    def tab(self, name: str) -> None:
        self.xpath(f"//button[@role='tab' and contains(., '{name}')]")[0].click()
        time.sleep(0.5)

    def shot(self, name: str, control: str) -> None:
        """Screenshot a step after checking the page and the app log are clean."""
        errors = [e.text for e in self.css(".toast-body.error")] + [e.text for e in self.css("span.error")
                                                                    if e.text.strip()]
        if errors:  # which components show it, and how the page looked, for the one who reads the failure
            where = self.d.execute_script(
                "return [...document.querySelectorAll('span.error')].map(e => "
                "(e.closest('[id]') || {}).id || e.closest('.block')?.className || '?')")
            self.d.save_screenshot(str(SHOTS / f"failed-{name}"))
            errors += [f"in: {where}"]
        assert not errors, f"{control}: error on the page: {errors}"
        problems = [line for line in self.log.read_text(errors="replace").splitlines()
                    if LOG_PROBLEMS.search(line)]
        assert not problems, f"{control}: the app log has: {problems[:5]}"
        self.d.save_screenshot(str(SHOTS / name))
        CONTROLS.append((control, name))


def open_page(url: str, log: Path, drawn: str = "#question textarea"):
    """A fresh browser on the app, once `drawn` is on the page; yields the Page and quits the browser."""
    driver = make_driver()
    driver.get(url)
    page = Page(driver, log)
    page.wait(lambda: all(page.css(selector) for selector in drawn.split(" && ")))
    yield page
    driver.quit()
