"""Secret masking patterns, PDF export and its clear errors, defaults from the environment."""
from __future__ import annotations

import subprocess
import sys

import pytest

from fault_nb.errors import ExportError
from fault_nb.review.secrets import mask_secrets


@pytest.mark.parametrize("text,kind,secret", [
    ('api_key = "abcd1234efgh"', "assignment", "abcd1234efgh"),
    ("export DB_PASSWORD=s3cr3tvalue", "env-assignment", "s3cr3tvalue"),
    ("token ghp_abcdefghijklmnopqrstuvwxyz0123", "github-token", "ghp_abcdefghijklmnopqrstuvwxyz0123"),
    ("key AKIAABCDEFGHIJKLMNOP", "aws-access-key", "AKIAABCDEFGHIJKLMNOP"),
    ("redis://user:pa55word@cache:6379/0", "url-password", "pa55word"),
    # a plain constant with a provider's key shape (no suspicious name) used to go out as is
    ('STRIPE = "sk_live_51HabcdefghijklmnopqrstuVWXyz"', "stripe-key", "sk_live_51HabcdefghijklmnopqrstuVWXyz"),
    ('HUB = "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH"', "huggingface-token", "hf_abcdefghijklmnopqrstuvwxyzABCDEFGH"),
    ('GL = "glpat-abcdefghij0123456789"', "gitlab-token", "glpat-abcdefghij0123456789"),
])
def test_masks_each_kind(text, kind, secret):
    masked, found = mask_secrets(text, "f.py")
    assert secret not in masked and found and found[0].kind == kind and found[0].location == "f.py"


def test_placeholders_and_code_are_left_alone():
    code = 'password = os.environ["DB_PASSWORD"]\napi_key = "changeme"\ntimeout = 5\n'
    assert mask_secrets(code)[0] == code


def test_env_file_masks_every_value():
    masked, found = mask_secrets("A=1\nB=two\n", ".env", env_file=True)
    assert "two" not in masked and len(found) == 2 and found[1].line == 2


@pytest.mark.system("pandoc")
def test_pdf_export(tmp_path):
    from fault_nb.export import markdown_to_pdf

    out = markdown_to_pdf("# Review\n\n```diff\n-a\n+b\n```\n", tmp_path / "r.pdf")
    assert out.read_bytes()[:5] == b"%PDF-"


def test_pdf_export_without_pandoc_is_a_clear_error(tmp_path, monkeypatch):
    import fault_nb.export as export

    monkeypatch.setattr(export.shutil, "which", lambda name: None)
    with pytest.raises(ExportError, match="needs pandoc"):
        export.markdown_to_pdf("# x", tmp_path / "r.pdf")
    assert not (tmp_path / "r.pdf").exists()


def test_defaults_from_environment(monkeypatch):
    from fault_nb import defaults

    assert defaults().llm is None
    monkeypatch.setenv("FAULT_NB_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("FAULT_NB_LLM_MODEL", "m")
    d = defaults()
    assert d.llm.model == "m" and d.llm.host == "127.0.0.1"
    assert defaults(llm=None).llm is None


def test_cli_and_review_imports_stay_light():
    code = ("import sys, fault_nb.cli, fault_nb.review, fault_nb.review.cli; fault_nb.cli.build_parser(); "
            "heavy = [m for m in ('openai', 'pandas', 'tree_sitter', 'qdrant_client', 'weasyprint') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_dotenv_block_in_a_prompt_is_masked_whole():
    from fault_nb.review.secrets import mask_messages

    prompt = "### .env lines 1-2: <module>\n```\nDATABASE=db.internal\nFEATURE=on\n```\n### app.py\n```python\nx = 1\n```\n"
    (msg,), found = mask_messages([{"role": "user", "content": prompt}])
    assert "db.internal" not in msg["content"] and "x = 1" in msg["content"]
    assert [f.kind for f in found] == ["env-file", "env-file"] and found[0].location.endswith(":.env")


def test_pdf_export_without_weasyprint_is_a_clear_error(tmp_path, monkeypatch):
    import fault_nb.export as export

    monkeypatch.setattr(export, "_weasyprint_cmd", lambda: None)
    with pytest.raises(ExportError, match=r"pip install 'fault-nb\[pdf\]'"):
        export.markdown_to_pdf("# x", tmp_path / "r.pdf")


def test_export_report_picks_the_format(tmp_path):
    from fault_nb.export import export_report

    assert export_report("# md\n", tmp_path / "a.md").read_text() == "# md\n"


def test_script_links_in_model_text_are_disarmed():
    # html was escaped, but a Markdown link to javascript: still rendered as a clickable link
    from fault_nb.review import Review, Suggestion
    from fault_nb.review.render import neutralize_html

    text = "see [click](javascript:alert(1)) and [ok](https://example.com) `[c](javascript:x)`\n[r]: data:text/html,x"
    out = neutralize_html(text)
    assert "[click](javascript:" not in out and "[r]: data:" not in out
    assert "[ok](https://example.com)" in out and "`[c](javascript:x)`" in out  # code and safe links untouched
    r = Review("op", "GET", "http://h/", {"rows": [], "slo": []},
               [Suggestion(id="s1", title="[t](javascript:alert(2))", rationale="[r](JavaScript:alert(3))",
                           category="timeout", evidence=[], file="a.py", diff="--- a/a.py\n+++ b/a.py\n",
                           status="verified")], {"reviewer": "llm", "model": "m"})
    md = r.to_markdown()
    assert "javascript:" not in md.lower().replace("javascript-blocked:", "")
