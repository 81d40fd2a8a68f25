"""Knowledge updates go live on a running assistant: no retraining, no restart.

The servers read a private copy of kb/articles (``KB_ARTICLES_DIR``) and check it every second
(``KB_RELOAD_INTERVAL``). Adding an article, editing it, and saving a broken one are tried in turn.
"""
from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import requests

from bot.servers import AssistantServers
from kb.articles import ARTICLES_DIR
from tests.integration.conftest import client_for, running_servers, server_config, texts, wait_for
from tests.unit.samples import article_text

pytestmark = pytest.mark.integration

RASA_PORT, ACTION_PORT = 16470, 16475
QUESTION = "syarat naik ke level VIP apa aja min?"
VIP_QUESTIONS = [
    "Bagaimana cara naik ke level VIP?", "level vip gw kok turun", "apa keuntungan jadi member VIP",
    "syarat tier VIP berapa volume trading", "vip level 2 dapet diskon fee berapa", "cara cek level VIP saya",
    "program VIP itu apa kak", "kenapa saya belum jadi VIP padahal trading banyak",
]


def _vip_article(body_line: str) -> str:
    body = (f"{body_line}\n\n1. Buka **Profil > Level VIP**.\n2. Lihat volume 30 hari Anda dan syarat tiap level.\n\n"
            "**Perlu dicek:** level dihitung ulang setiap hari pukul 07.00 WIB.\n"
            "**Hubungi agen bila:** level tidak naik 2 hari setelah syarat terpenuhi.")
    return article_text("program-vip", "Program VIP dan level pengguna", "trading", VIP_QUESTIONS, body,
                        related=["biaya-trading"])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AssistantServers]:
    work = tmp_path_factory.mktemp("kb_reload")
    articles = work / "articles"
    shutil.copytree(ARTICLES_DIR, articles)
    shutil.copytree(ARTICLES_DIR.parent / ".index", work / "index")
    config = server_config(work, RASA_PORT, ACTION_PORT,
                           env={"KB_ARTICLES_DIR": str(articles), "KB_INDEX_DIR": str(work / "index"),
                                "KB_RELOAD_INTERVAL": "1"})
    with running_servers(config) as running:
        yield running


def _ask(live: AssistantServers, text: str):
    client = client_for(live, timeout=60)
    sender = f"kb-{uuid.uuid4().hex[:10]}"
    replies = client.send(sender, text)
    return replies, (client.tracker(sender).get("slots") or {}).get("kb_article")


def _knowledge_base_health(live: AssistantServers) -> dict:
    reply = requests.get(f"{live.config.rasa_url}/health", timeout=30)
    return reply.json()["parts"]["knowledge_base"]


def _log(live: AssistantServers) -> str:
    path = Path(live.config.log_dir) / f"actions-{RASA_PORT}.log"
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def test_a_new_article_then_an_edit_then_a_broken_file(live: AssistantServers):
    articles = Path(live.config.extra_env["KB_ARTICLES_DIR"])
    _, before = _ask(live, QUESTION)
    assert before != "program-vip"

    (articles / "program-vip.md").write_text(_vip_article("Level VIP memberi diskon biaya trading."),
                                            encoding="utf-8")
    wait_for(lambda: "knowledge base reloaded: 85 articles" in _log(live), timeout=60, what="the reload")
    replies, answered = _ask(live, QUESTION)
    assert answered == "program-vip"
    assert any("Level VIP memberi diskon" in t for t in texts(replies))

    (articles / "program-vip.md").write_text(_vip_article("Level VIP kini juga memberi batas penarikan lebih tinggi."),
                                            encoding="utf-8")
    wait_for(lambda: "(0 added, 1 edited" in _log(live), timeout=60, what="the edit")
    replies, answered = _ask(live, QUESTION)
    assert answered == "program-vip"
    assert any("batas penarikan lebih tinggi" in t for t in texts(replies))

    assert _knowledge_base_health(live)["status"] == "ok"
    (articles / "rusak.md").write_text("---\nid: rusak\n---\ntanpa front matter lengkap\n", encoding="utf-8")
    wait_for(lambda: "knowledge base NOT reloaded" in _log(live), timeout=60, what="the warning")
    replies, answered = _ask(live, QUESTION)
    assert answered == "program-vip"   # the previous index keeps answering
    degraded = _knowledge_base_health(live)    # and the operator sees why the new files are not served
    assert degraded["status"] == "degraded" and degraded["articles"] == 85 and "rusak.md" in degraded["problem"]
    (articles / "rusak.md").unlink()
    wait_for(lambda: _knowledge_base_health(live)["status"] == "ok", timeout=60, what="health ok again")
