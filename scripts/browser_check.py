"""The web chat in a real browser: Debian's headless Chromium driven through chromium-driver.

Usage: browser_check.py GUICHE_BINARY [--screenshots DIR]

Starts `guiche serve all` on 127.0.0.1 over a copy of data/, then, as a first-time visitor would:
opens /, checks every control has an accessible name, asks the original system's question and
watches the answer stream in with its sources, opens the first source and finds the cited passage
highlighted and in view, comes back to the conversation, asks a follow-up that only makes sense
after the first ("E quanto custa?") and sees it understood, sends 👎 with a comment and finds it in
GET /feedback; on /admin uploads a document, asks about it, deletes it and sees the answer go; and
checks the page on a phone-sized screen. Saves a screenshot of each step under
DIR (a temp folder by default) and prints the page weight and the time to the first answer text.
Exits 1 on the first failed check.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from local_chatbot import serve_all
QUESTION = "Qual o procedimento para renovação da CNH?"

# Every control needs a name a screen reader can say (label, aria-label, or its own text).
ACCESSIBILITY_CHECK = """
const problems = [];
if (!document.documentElement.lang) problems.push('html without lang');
for (const el of document.querySelectorAll('button, input, textarea, select, a[href]')) {
  if (el.closest('[hidden]')) continue;
  const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`)) || el.getAttribute('aria-label')
    || el.getAttribute('aria-labelledby') || el.textContent.trim() || el.getAttribute('title');
  if (!labelled) problems.push(el.outerHTML.slice(0, 80));
}
for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) problems.push('img without alt');
if (!document.querySelector('[aria-live]')) problems.push('no live region');
return problems;
"""


def check(condition: bool, message: str):
    if not condition:
        raise AssertionError(message)
    print(f"browser: ok — {message}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--screenshots")
    args = parser.parse_args()
    shots = args.screenshots or tempfile.mkdtemp(prefix="guiche-browser-")
    os.makedirs(shots, exist_ok=True)

    with serve_all(args.binary) as (base, _, _, work):
        return check_in_browser(base, work, shots)


def check_in_browser(base: str, work: str, shots: str) -> int:
    driver = None
    try:
        weight = 0
        for path in ["/", "/assets/chat.js", "/assets/chat.css"]:
            with urllib.request.urlopen(base + path) as response:
                weight += len(response.read())
        print(f"browser: page weight {weight} bytes (HTML + JS + CSS, uncompressed)")

        options = webdriver.ChromeOptions()
        for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900",
                     "--lang=pt-BR", "--no-first-run", "--disable-extensions", "--proxy-server=direct://"]:
            options.add_argument(flag)
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
        wait = WebDriverWait(driver, 120)

        # 1. The page, as a first-time visitor finds it.
        driver.get(base + "/")
        check(driver.title.startswith("Guichê"), f"the page opens ({driver.title})")
        problems = driver.execute_script(ACCESSIBILITY_CHECK)
        check(not problems, f"every control has an accessible name, a live region exists ({problems})")
        driver.save_screenshot(os.path.join(shots, "1-pagina.png"))

        # 2. The seed question, answered as a stream, with its sources.
        box = driver.find_element(By.ID, "pergunta")
        box.send_keys(QUESTION)
        asked = time.monotonic()
        box.send_keys(Keys.ENTER)
        wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".turno .resposta").text.strip())
        first_text = time.monotonic() - asked
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".turno .modo + section, .turno .avaliacao")))
        answer = driver.find_element(By.CSS_SELECTOR, ".turno .resposta").text
        print(f"browser: first answer text {first_text * 1000:.0f} ms after Enter")
        check("agende" in answer.lower(), "the answer to the seed question quotes the procedure")
        sources = driver.find_elements(By.CSS_SELECTOR, ".turno a.fonte")
        check(len(sources) > 0, f"the answer lists {len(sources)} sources, each a link")
        driver.save_screenshot(os.path.join(shots, "2-resposta.png"))

        # 3. The first source opens its document at the cited passage, highlighted and in view.
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", sources[0])
        sources[0].click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "section.destaque")))
        anchor = driver.execute_script("return location.hash.slice(1)")
        highlighted = driver.find_element(By.CSS_SELECTOR, "section.destaque")
        check(highlighted.get_attribute("id") == anchor, f"the cited passage #{anchor} is highlighted")
        in_view = driver.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0;", highlighted)
        check(in_view, "the highlighted passage is in view")
        driver.save_screenshot(os.path.join(shots, "3-documento.png"))

        # 4. Back to the conversation, which is still there; a follow-up is understood in context.
        driver.back()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".turno")) >= 1)
        check(QUESTION in driver.find_element(By.CSS_SELECTOR, ".turno .pergunta-feita").text, "the conversation is restored")
        box = wait.until(EC.element_to_be_clickable((By.ID, "pergunta")))
        box.send_keys("E quanto custa?")
        box.send_keys(Keys.ENTER)
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".turno")) >= 2
                   and d.find_elements(By.CSS_SELECTOR, ".turno")[-1].find_elements(By.CSS_SELECTOR, ".avaliacao"))
        last = driver.find_elements(By.CSS_SELECTOR, ".turno")[-1]
        understood = last.find_element(By.CSS_SELECTOR, ".reformulada").text
        check("renovação da CNH" in understood, f"the follow-up is understood in context ({understood})")
        check("135,50" in last.find_element(By.CSS_SELECTOR, ".resposta").text, "the follow-up's answer quotes the renewal fee")
        driver.save_screenshot(os.path.join(shots, "4-seguimento.png"))

        # 5. 👎 with a comment, found in the feedback export.
        dislike = last.find_element(By.CSS_SELECTOR, "button[aria-label='A resposta não ajudou']")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", dislike)
        dislike.click()
        comment = last.find_element(By.CSS_SELECTOR, ".avaliacao textarea")
        comment.send_keys("teste do navegador: faltou o prazo")
        send = last.find_element(By.XPATH, ".//button[contains(., 'Enviar avaliação')]")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", send)
        send.click()
        wait.until(lambda d: "Obrigado" in last.find_element(By.CSS_SELECTOR, ".obrigado").text)
        with urllib.request.urlopen(base + "/feedback") as response:
            lines = [json.loads(line) for line in response.read().decode().splitlines() if line]
        check(any(l.get("comentario") == "teste do navegador: faltou o prazo" and l.get("voto") == "negativo" for l in lines),
              "the 👎 and its comment are in GET /feedback")
        driver.save_screenshot(os.path.join(shots, "5-avaliacao.png"))

        # 6. The admin page: a document added is answered at once; deleted, its answer disappears.
        def ask_fresh(question: str) -> str:
            driver.get(base + "/")
            wait.until(EC.element_to_be_clickable((By.ID, "nova"))).click()
            box = driver.find_element(By.ID, "pergunta")
            box.send_keys(question)
            box.send_keys(Keys.ENTER)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".turno .avaliacao"))
            return driver.find_element(By.CSS_SELECTOR, ".turno .resposta").text

        upload = os.path.join(work, "estacionamento-rotativo.md")
        with open(upload, "w") as file:
            file.write("# Estacionamento rotativo\n\nO cartão do estacionamento rotativo vale por 2 (duas) horas e custa R$ 4,25 por período.\n")
        question = "Quanto custa o cartão do estacionamento rotativo?"
        check("4,25" not in ask_fresh(question), "before the upload, no answer states the parking fee")
        driver.get(base + "/admin")
        problems = driver.execute_script(ACCESSIBILITY_CHECK)
        check(not problems, f"every control of the admin page has an accessible name ({problems})")
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#documentos tbody tr")))
        driver.find_element(By.ID, "arquivo").send_keys(upload)
        driver.find_element(By.CSS_SELECTOR, "#envio button[type=submit]").click()
        wait.until(lambda d: "indexado" in d.find_element(By.ID, "aviso").text)
        wait.until(lambda d: any("estacionamento-rotativo.md" in row.text for row in d.find_elements(By.CSS_SELECTOR, "#documentos tbody tr")))
        driver.save_screenshot(os.path.join(shots, "6-admin-enviado.png"))
        check("4,25" in ask_fresh(question), "the uploaded document answers a question at once")
        driver.save_screenshot(os.path.join(shots, "7-resposta-novo-documento.png"))
        driver.get(base + "/admin")
        delete = wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "button[aria-label='Excluir estacionamento-rotativo.md']")))
        delete.click()
        WebDriverWait(driver, 10).until(EC.alert_is_present())
        driver.switch_to.alert.accept()
        wait.until(lambda d: "excluído" in d.find_element(By.ID, "aviso").text)
        check("4,25" not in ask_fresh(question), "deleted, the document no longer answers")

        # 7. A phone-sized screen: nothing overflows sideways.
        driver.set_window_size(390, 844)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - innerWidth")
        check(overflow <= 0, f"no sideways scrolling on a 390 px wide screen ({overflow} px)")
        driver.save_screenshot(os.path.join(shots, "8-celular.png"))
        print(f"browser: screenshots in {shots}")
        return 0
    except Exception as error:
        print(f"browser: FAIL {error}", file=sys.stderr)
        if driver:
            driver.save_screenshot(os.path.join(shots, "falha.png"))
            print(f"browser: screenshots in {shots}", file=sys.stderr)
        return 1
    finally:
        if driver:
            driver.quit()


if __name__ == "__main__":
    sys.exit(main())
