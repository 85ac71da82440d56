"""Mask secrets in anything sent to a model.

Source files and reports can hold API keys, bearer tokens, passwords in URLs
or assignments, private keys and ``.env`` contents. Before a prompt leaves the
process each is replaced by ``«masked:<kind>»``; the caller gets the list of
what was masked (kind and location, never the value) for the ledger.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MASK = "«masked:{kind}»"

# (kind, pattern, group holding the secret value or 0 for the whole match)
_PATTERNS: list[tuple[str, re.Pattern, int]] = [
    ("private-key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"), 0),
    ("openai-key", re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}"), 0),
    ("github-token", re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}"), 0),
    ("aws-access-key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), 0),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_\-]{30,}"), 0),
    ("stripe-key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"), 0),
    ("huggingface-token", re.compile(r"\bhf_[A-Za-z0-9]{30,}"), 0),
    ("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}"), 0),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), 0),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"), 0),
    ("bearer-token", re.compile(r"(?i)\b(?:bearer|token)\s+([A-Za-z0-9_\-\.=:+/]{12,})"), 1),
    ("url-password", re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@'\"]+:([^\s@/'\"]+)@"), 1),
    ("assignment", re.compile(
        r"(?i)\b[\w.\-]*(?:password|passwd|pwd|secret|token|api[_\-]?key|apikey|access[_\-]?key|"
        r"private[_\-]?key|client[_\-]?secret|auth)[\w.\-]*[\"']?\s*(?:=|:|:=)\s*[fbr]?([\"'])([^\"'\n]{4,})\1"), 2),
    ("env-assignment", re.compile(
        r"(?im)^\s*(?:export\s+)?[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY|"
        r"CREDENTIALS?|AUTH)[A-Z0-9_]*\s*=\s*([^\s\"'#][^\s#]{3,})"), 1),
]


@dataclass
class Masked:
    """One masked secret: its kind and where it was (never its value)."""

    kind: str
    location: str
    line: int

    def to_dict(self) -> dict:
        return {"kind": self.kind, "location": self.location, "line": self.line}


def _is_placeholder(value: str) -> bool:
    v = value.strip().lower()
    return (v.startswith("«masked") or v in {"none", "null", "changeme", "xxx", "xxxx", "****", "your-key-here"}
            or v.startswith(("${", "{", "os.environ", "os.getenv", "<")) or set(v) <= {"*", "x", "."})


def mask_secrets(text: str, location: str = "<text>", *, env_file: bool = False) -> tuple[str, list[Masked]]:
    """Replace secrets in ``text``; return the masked text and what was masked.

    ``env_file=True`` masks every value (a ``.env`` file is secrets by definition).

    >>> mask_secrets('API_KEY = "sk-abcdefghijklmnopqrstuv"', "app.py")[0]
    'API_KEY = "«masked:openai-key»"'
    """
    found: list[Masked] = []
    if env_file:
        def env_sub(m: re.Match) -> str:
            found.append(Masked("env-file", location, text.count("\n", 0, m.start()) + 1))
            return m.group(1) + MASK.format(kind="env-file")
        return re.sub(r"(?m)^(\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*).+$", env_sub, text), found
    for kind, pattern, group in _PATTERNS:
        def sub(m: re.Match, kind=kind, group=group) -> str:
            value = m.group(group)
            if value is None or _is_placeholder(value):
                return m.group(0)
            found.append(Masked(kind, location, text.count("\n", 0, m.start()) + 1))
            if group == 0:
                return MASK.format(kind=kind)
            s, e = m.start(group) - m.start(), m.end(group) - m.start()
            whole = m.group(0)
            return whole[:s] + MASK.format(kind=kind) + whole[e:]
        text = pattern.sub(sub, text)
    return text, found


# a code block of a dotenv file inside a prompt: "### .env lines 1-3 ..." then a fenced block
_ENV_BLOCK = re.compile(r"(?m)^#+ *(?P<name>\S*\.env(?:\.\w+)?)\b[^\n]*\n(?P<fence>`{3,})[^\n]*\n(?P<body>.*?)^(?P=fence)",
                        re.S)


def mask_messages(messages: list[dict]) -> tuple[list[dict], list[Masked]]:
    """Mask every message's content (locations are ``message[i]``); dotenv blocks are masked whole."""
    out, found = [], []
    for i, msg in enumerate(messages):
        content = msg.get("content")
        if isinstance(content, str):
            where = f"message[{i}]:{msg.get('role', '?')}"

            def env_block(m: re.Match) -> str:
                body, f = mask_secrets(m.group("body"), f"{where}:{m.group('name')}", env_file=True)
                found.extend(f)
                return m.group(0)[: m.start("body") - m.start()] + body + m.group(0)[m.end("body") - m.start():]

            content = _ENV_BLOCK.sub(env_block, content)
            content, f = mask_secrets(content, where)
            found.extend(f)
        out.append({**msg, "content": content})
    return out, found
