#!/usr/bin/env python3
"""Real-browser test of `sift serve`: headless Chromium (Debian's chromium + chromium-driver) driven by Selenium.

    python3 wiki_browser_test.py BASE_URL SCREENSHOT.png

From the home page it types "什么是sft?" into the question box and submits, like a reader would, then checks
the rendered question page: the question as its heading, an answer lead that defines 监督微调 with a [n] citation,
at least two references with titles and excerpts, a [1] link that jumps to reference 1 (the URL fragment and the
:target element), the note that the answer was assembled from the sources, and "Others are asking" with at least
three questions, each with a date and the first sentence of its answer. It then checks the page on a phone-sized
window (no horizontal scrolling) and saves a desktop screenshot. Exit status 0 only when every check passes.
"""
import re
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

base, shot = sys.argv[1].rstrip("/"), sys.argv[2]
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


options = webdriver.ChromeOptions()
for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,1900", "--lang=zh-CN"):
    options.add_argument(a)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
try:
    wait = WebDriverWait(driver, 20)
    driver.get(base + "/")
    box = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "form.ask input[name=q]")))
    check("Sift" in driver.title, "the home page loads")
    box.send_keys("什么是sft?")
    box.send_keys(Keys.ENTER)
    wait.until(EC.url_matches(r"/questions/\d+$"))
    check(re.search(r"/questions/\d+$", driver.current_url) is not None, f"submitting leads to the question's stable page ({driver.current_url})")
    h1 = driver.find_element(By.TAG_NAME, "h1").text
    check(h1 == "什么是sft?", f"the heading is the question ({h1!r})")
    lead = driver.find_element(By.CSS_SELECTOR, "p.lead")
    check("监督微调" in lead.text and re.search(r"\[\d+\]", lead.text) is not None, f"the lead defines 监督微调 with a citation ({lead.text[:60]}…)")
    refs = driver.find_elements(By.CSS_SELECTOR, "ol.refs > li")
    check(len(refs) >= 2, f"at least two references ({len(refs)})")
    check(all(r.find_element(By.CSS_SELECTOR, ".ref-title").text and r.find_element(By.CSS_SELECTOR, ".excerpt").text for r in refs),
          "every reference has a title and an excerpt")
    check(len(driver.find_elements(By.CSS_SELECTOR, ".excerpt mark")) > 0, "the question's terms are highlighted in the excerpts")
    check("本回答由 Sift 从所引来源中原文摘录拼合而成" in driver.find_element(By.CSS_SELECTOR, "p.note").text, "the note that the answer is assembled from the sources")
    others = driver.find_elements(By.XPATH, "//section[h2[text()='其他人还在问']]//ul[@class='qs']/li")
    check(len(others) >= 3, f"Others are asking lists at least three questions ({len(others)})")
    check(all(re.search(r"\d{4}-\d{2}-\d{2}", o.find_element(By.CSS_SELECTOR, ".date").text) for o in others), "each with its date")
    check(all(o.find_elements(By.CSS_SELECTOR, ".summary") for o in others), "each with the first sentence of its answer")
    driver.save_screenshot(shot)
    print(f"saved {shot}")
    # The [1] anchor jumps to reference 1.
    driver.find_element(By.CSS_SELECTOR, "p.lead a.cite").click()
    target = driver.execute_script("const t = document.querySelector(':target'); return t ? t.id : null")
    check(driver.current_url.endswith("#ref-1") and target == "ref-1", f"[1] jumps to reference 1 ({driver.current_url}, :target {target})")
    # A phone-sized window: no horizontal scrolling.
    driver.set_window_size(390, 844)
    width = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    check(width[0] <= width[1] + 1, f"the page fits a phone's width (scroll width {width[0]}, window {width[1]})")
    # A hostile question is shown as text.
    driver.get(base + "/ask?q=" + "%3Cscript%3Ewindow.pwned%3D1%3C%2Fscript%3E")
    check(driver.execute_script("return window.pwned === undefined"), "a <script> question does not run")
    check("<script>" in driver.find_element(By.TAG_NAME, "h1").text, "and is shown as text")
finally:
    driver.quit()
if failures:
    print(f"{len(failures)} check(s) failed", file=sys.stderr)
    sys.exit(1)
print("all browser checks passed")
