"""Mask secrets in anything sent to a model.

Source files and reports can hold API keys, bearer tokens, passwords in URLs
or assignments, private keys and ``.env`` contents. Before a prompt leaves the
process each is replaced by ``«masked:<kind>»``; the caller gets the list of
what was masked (kind and location, never the value) for the ledger.

Values are masked, not declarations: ``password = Column(String)``,
``API_KEY = settings.api_key`` or ``password_field = "password"`` name a
secret without holding one. The model's own earlier answers (assistant
messages) are never masked. Each masked value carries a fingerprint (a keyed
hash with a per-process key, useless outside this process) so a review counts
each secret once, however often the prompts repeat it.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass, field

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
        r"private[_\-]?key|client[_\-]?secret|auth)[\w.\-]*[\"']?\s*(?::[ \t]*[\w\[\]., |]+?[ \t]*)?(?:=|:|:=)\s*"
        r"[fbr]?([\"'])([^\"'\n]{4,})\1"), 2),
    # env/shell shape: an UPPER_CASE name, an unquoted value (case-sensitive: `password = Column(...)` is code)
    ("env-assignment", re.compile(
        r"(?m)^[ \t]*(?:export[ \t]+)?[A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|APIKEY|ACCESS_KEY|"
        r"PRIVATE_KEY|CREDENTIALS?|AUTH)[A-Z0-9_]*([ \t]*)=([ \t]*)([^\s\"'#][^\s#]{3,})"), 3),
]
_KEY = os.urandom(16)  # fingerprints mean something inside this process only
_CODE_VALUE = re.compile(r"^[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*(?:\(.*)?$|.*[()\[\]{}].*")
_HEADER_NAME = re.compile(r"^[A-Z][A-Za-z]*(?:-[A-Z][A-Za-z]*)+$")


@dataclass
class Masked:
    """One masked secret: its kind and where it was (never its value)."""

    kind: str
    location: str
    line: int
    fingerprint: str = field(default="", compare=False)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "location": self.location, "line": self.line, "id": self.fingerprint}


def fingerprint(value: str) -> str:
    return hmac.new(_KEY, value.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:12]


def unique_secrets(masked: list[dict]) -> list[dict]:
    """``masked`` entries of several calls with each secret once (by kind and fingerprint)."""
    seen, out = set(), []
    for m in masked:
        key = (m.get("kind"), m.get("id") or (m.get("location"), m.get("line")))
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def _is_placeholder(value: str) -> bool:
    v = value.strip().lower()
    return (v.startswith("«masked") or v in {"none", "null", "changeme", "xxx", "xxxx", "****", "your-key-here"}
            or v.startswith(("${", "{", "os.environ", "os.getenv", "<")) or set(v) <= {"*", "x", "."})


def _not_a_value(kind: str, name: str, value: str, spaced: bool) -> bool:
    """True for what names or computes a secret rather than holding one."""
    v = value.strip()
    if kind == "env-assignment":
        # `API_KEY = settings.api_key`, `PASSWORD = get_password()`: code, not a .env value
        return bool(_CODE_VALUE.match(v)) and (spaced or "(" in v or "." in v) or v in ("True", "False", "None")
    if kind == "assignment":
        low = v.lower()
        return (any(c.isspace() for c in v)  # prose: "Enter your password"
                or bool(_HEADER_NAME.match(v))  # a header name: "X-Api-Key", "Authorization"
                or v == "Authorization"
                or (low.isidentifier() and low in name.lower())  # password_field = "password"
                or (re.match(r"^[a-z][a-z+.\-]*://", v) is not None and "@" not in v))  # token_url = "https://..."
    return False


def mask_secrets(text: str, location: str = "<text>", *, env_file: bool = False) -> tuple[str, list[Masked]]:
    """Replace secrets in ``text``; return the masked text and what was masked.

    ``env_file=True`` masks every value (a ``.env`` file is secrets by definition).

    >>> mask_secrets('API_KEY = "sk-abcdefghijklmnopqrstuv"', "app.py")[0]
    'API_KEY = "«masked:openai-key»"'
    """
    found: list[Masked] = []
    if env_file:
        def env_sub(m: re.Match) -> str:
            found.append(Masked("env-file", location, text.count("\n", 0, m.start()) + 1,
                                fingerprint(m.group(2))))
            return m.group(1) + MASK.format(kind="env-file")
        return re.sub(r"(?m)^(\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*)(.+)$", env_sub, text), found
    for kind, pattern, group in _PATTERNS:
        def sub(m: re.Match, kind=kind, group=group) -> str:
            value = m.group(group)
            if value is None or _is_placeholder(value):
                return m.group(0)
            spaced = kind == "env-assignment" and bool(m.group(1) or m.group(2))
            if _not_a_value(kind, m.group(0)[: m.start(group) - m.start()], value, spaced):
                return m.group(0)
            found.append(Masked(kind, location, text.count("\n", 0, m.start()) + 1, fingerprint(value)))
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


_FILE_HEADER = re.compile(r"(?m)^### (\S+) lines? \d+")


def _file_at(content: str, line: int) -> str | None:
    """The code file (a ``### path lines a-b`` header of the context) that prompt line ``line`` falls in."""
    best = None
    for m in _FILE_HEADER.finditer(content):
        if content.count("\n", 0, m.start()) + 1 > line:
            break
        best = m.group(1)
    return best


def mask_messages(messages: list[dict]) -> tuple[list[dict], list[Masked]]:
    """Mask every message's content but the model's own (assistant) answers; dotenv blocks are masked whole.

    Locations are ``message[i]:role``, plus the code file when the secret sits in a context chunk.
    """
    out, found = [], []
    for i, msg in enumerate(messages):
        content = msg.get("content")
        if isinstance(content, str) and msg.get("role") != "assistant":
            where = f"message[{i}]:{msg.get('role', '?')}"

            def env_block(m: re.Match) -> str:
                body, f = mask_secrets(m.group("body"), f"{where}:{m.group('name')}", env_file=True)
                found.extend(f)
                return m.group(0)[: m.start("body") - m.start()] + body + m.group(0)[m.end("body") - m.start():]

            original = content
            content = _ENV_BLOCK.sub(env_block, content)
            content, f = mask_secrets(content, where)
            for item in f:
                name = _file_at(original, item.line)
                if name:
                    item.location = f"{where}:{name}"
            found.extend(f)
        out.append({**msg, "content": content})
    return out, found
