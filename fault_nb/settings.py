"""Every environment variable fault_nb reads, in one place, read once at the edges.

The core never looks at ``os.environ``: the CLI, the widgets and
:func:`fault_nb.defaults` call ``Settings.from_env(os.environ)`` and hand the
values on. :data:`VARIABLES` lists each variable with what it does (``--help``
and the README print it; the tests isolate exactly these).

>>> s = Settings.from_env({"FAULT_NB_LLM_PROVIDER": "ollama", "FAULT_NB_LLM_TIMEOUT": "30"})
>>> s.llm.base_url, s.llm.model, s.llm.timeout
('http://localhost:11434/v1', 'gemma3:4b', 30.0)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping
from urllib.parse import urlparse

from .errors import SettingsError


@dataclass(frozen=True)
class Variable:
    name: str
    group: str
    help: str
    secret: bool = False


VARIABLES: tuple[Variable, ...] = (
    Variable("FAULT_NB_LLM_PROVIDER", "llm", "preset: base URL, key variable and default model (see PRESETS)"),
    Variable("FAULT_NB_LLM_BASE_URL", "llm", "OpenAI-compatible /v1 URL of the chat model"),
    Variable("FAULT_NB_LLM_MODEL", "llm", "model name sent with every chat call"),
    Variable("FAULT_NB_LLM_API_KEY", "llm", "key for FAULT_NB_LLM_BASE_URL (any host)", secret=True),
    Variable("FAULT_NB_LLM_TIMEOUT", "llm", "seconds one model call may take (default 120)"),
    Variable("FAULT_NB_LLM_DEADLINE", "llm", "seconds one whole review may take (default 900)"),
    Variable("FAULT_NB_LLM_MAX_TOKENS", "llm", "answer length cap per call (default: sized per call)"),
    Variable("FAULT_NB_LLM_CONTEXT", "llm", "the model's context window in tokens (default: asked from the server)"),
    Variable("OPENAI_API_KEY", "llm", "used only for api.openai.com, never sent to another host", secret=True),
    Variable("OPENROUTER_API_KEY", "llm", "key of the openrouter preset", secret=True),
    Variable("GEMINI_API_KEY", "llm", "key of the gemini preset", secret=True),
    Variable("FAULT_NB_EMBED_BASE_URL", "embed", "OpenAI-compatible /v1 URL for dense code embeddings"),
    Variable("FAULT_NB_EMBED_MODEL", "embed", "embedding model; 'minilm' (no base URL) = the local MiniLM"),
    Variable("FAULT_NB_EMBED_API_KEY", "embed", "key for FAULT_NB_EMBED_BASE_URL", secret=True),
    Variable("QDRANT_URL", "index", "a qdrant server instead of the embedded store"),
    Variable("QDRANT_API_KEY", "index", "key of QDRANT_URL", secret=True),
    Variable("FAULT_NB_CACHE_DIR", "paths", "where indexes and the LLM cache live (default ~/.cache/fault-nb)"),
    Variable("XDG_CACHE_HOME", "paths", "base of the default cache dir"),
    Variable("FAULT_NB_SHARED", "paths", "the shared/ folder with sample apps and fixtures"),
    Variable("FAULT_NB_OUT", "notebook", "output folder of the demo notebooks (fault-nb demo sets it)"),
    Variable("FAULT_NB_LOAD_SCALE", "notebook", "load scale of the demo notebooks (fault-nb demo --load-scale)"),
    Variable("FAULT_SCENARIO_OPENAPI_V3_SPEC_URL", "fault", "fault's variable: OpenAPI URL for scenario generate"),
    Variable("FAULT_SCENARIO_OPENAPI_V3_SPEC_FILE", "fault", "fault's variable: OpenAPI file for scenario generate"),
    Variable("FAULT_SCENARIO_PATH", "fault", "fault's variable: scenario file or folder"),
    Variable("FAULT_SCENARIO_RESULTS_PATH", "fault", "fault's variable: results file of scenario run"),
    Variable("FAULT_SCENARIO_REPORT_PATH", "fault", "fault's variable: report file of scenario run"),
)

# variables that are not ours but change where HTTP goes (the tests clear them too)
PROXY_VARIABLES = ("OPENAI_BASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY",
                   "all_proxy")


def isolated_environ(environ: Mapping[str, str], **overrides: str) -> dict[str, str]:
    """``environ`` without any variable of :data:`VARIABLES` or
    :data:`PROXY_VARIABLES`, then ``overrides``: the environment of a child process (a Voilà or
    JupyterLab server in tests and scripts) that must reach no real LLM, qdrant server or proxy.

    >>> isolated_environ({"OPENAI_API_KEY": "sk", "PATH": "/bin"}, FAULT_NB_OUT="out")
    {'PATH': '/bin', 'FAULT_NB_OUT': 'out'}
    """
    names = {v.name for v in VARIABLES} | set(PROXY_VARIABLES)
    env = {k: v for k, v in environ.items() if k not in names}
    env.update(overrides)
    return env

# provider -> (base URL, env var of its key, default model)
PRESETS: dict[str, tuple[str, str | None, str | None]] = {
    "openai": ("https://api.openai.com/v1", "OPENAI_API_KEY", "gpt-4o-mini"),
    "ollama": ("http://localhost:11434/v1", None, "gemma3:4b"),
    "openrouter": ("https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "google/gemma-3-27b-it"),
    "gemini": ("https://generativelanguage.googleapis.com/v1beta/openai", "GEMINI_API_KEY", "gemini-2.5-flash"),
    "vllm": ("http://localhost:8000/v1", None, None),
    "lmstudio": ("http://localhost:1234/v1", None, None),
}
OPENAI_URL = PRESETS["openai"][0]
OPENAI_HOST = "api.openai.com"

DEFAULT_TIMEOUT_S = 120.0
DEFAULT_DEADLINE_S = 900.0


def host_of(url: str) -> str:
    """Lower-cased host name of ``url`` ('' when it is not a URL)."""
    return (urlparse(url or "").hostname or "").lower()


def openai_key_for(url: str, environ: Mapping[str, str]) -> str | None:
    """``OPENAI_API_KEY`` when ``url`` is OpenAI's own host, else None: the one place that rule lives.

    >>> openai_key_for("http://127.0.0.1:8000/v1", {"OPENAI_API_KEY": "sk-x"}) is None
    True
    >>> openai_key_for("https://api.openai.com/v1", {"OPENAI_API_KEY": "sk-x"})
    'sk-x'
    """
    return (environ.get("OPENAI_API_KEY") or None) if host_of(url) == OPENAI_HOST else None


def _number(environ: Mapping[str, str], name: str, kind: type = float) -> float | int | None:
    raw = (environ.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected a positive {'integer' if kind is int else 'number'}") \
            from None
    if value <= 0:
        raise SettingsError(f"{name}={raw!r}: expected a positive {'integer' if kind is int else 'number'}")
    return value


def qdrant_from_env(environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """``(QDRANT_URL, QDRANT_API_KEY)`` from ``environ`` (None when unset), and nothing else.

    The index reads only these, so a bad unrelated variable cannot break it.

    >>> qdrant_from_env({"QDRANT_URL": "http://q:6333", "FAULT_NB_LLM_TIMEOUT": "abc"})
    ('http://q:6333', None)
    """
    return environ.get("QDRANT_URL") or None, environ.get("QDRANT_API_KEY") or None


@dataclass(frozen=True)
class LLMSettings:
    """The chat model: ``configured`` is False when nothing names one (then the rules reviewer runs)."""

    base_url: str = OPENAI_URL
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    provider: str | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    deadline: float = DEFAULT_DEADLINE_S
    max_tokens: int | None = None
    context: int | None = None
    configured: bool = False


@dataclass(frozen=True)
class EmbedSettings:
    """Dense embeddings: ``kind`` is None (sparse only), 'openai' (an endpoint) or 'minilm' (local)."""

    kind: str | None = None
    base_url: str = OPENAI_URL
    model: str = "text-embedding-3-small"
    api_key: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Settings:
    llm: LLMSettings = field(default_factory=LLMSettings)
    embed: EmbedSettings = field(default_factory=EmbedSettings)
    qdrant_url: str | None = None
    qdrant_api_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "Settings":
        """Read every variable of :data:`VARIABLES` that configures a collaborator from ``environ``."""
        env = environ
        provider = (env.get("FAULT_NB_LLM_PROVIDER") or "").strip().lower() or None
        if provider and provider not in PRESETS:
            raise SettingsError(f"FAULT_NB_LLM_PROVIDER={provider!r} is not a known provider. "
                                f"Expected one of: {', '.join(PRESETS)}")
        preset = PRESETS.get(provider or "", (None, None, None))
        base_url = (env.get("FAULT_NB_LLM_BASE_URL") or preset[0] or OPENAI_URL).rstrip("/")
        key = env.get("FAULT_NB_LLM_API_KEY") or None
        if not key and preset[1] and preset[1] != "OPENAI_API_KEY":
            key = env.get(preset[1]) or None
        key = key or openai_key_for(base_url, env)
        configured = any(env.get(v) for v in ("FAULT_NB_LLM_BASE_URL", "FAULT_NB_LLM_MODEL",
                                               "FAULT_NB_LLM_PROVIDER", "OPENAI_API_KEY"))
        llm = LLMSettings(base_url=base_url, model=env.get("FAULT_NB_LLM_MODEL") or preset[2] or None,
                          api_key=key, provider=provider,
                          timeout=_number(env, "FAULT_NB_LLM_TIMEOUT") or DEFAULT_TIMEOUT_S,
                          deadline=_number(env, "FAULT_NB_LLM_DEADLINE") or DEFAULT_DEADLINE_S,
                          max_tokens=_number(env, "FAULT_NB_LLM_MAX_TOKENS", int),
                          context=_number(env, "FAULT_NB_LLM_CONTEXT", int), configured=configured)
        e_url, e_model = env.get("FAULT_NB_EMBED_BASE_URL"), env.get("FAULT_NB_EMBED_MODEL")
        kind = None
        if e_url or e_model:
            kind = "minilm" if not e_url and (e_model or "").strip().lower() == "minilm" else "openai"
        e_url = (e_url or OPENAI_URL).rstrip("/")
        embed = EmbedSettings(kind=kind, base_url=e_url, model=e_model or "text-embedding-3-small",
                              api_key=env.get("FAULT_NB_EMBED_API_KEY") or openai_key_for(e_url, env))
        qdrant_url, qdrant_api_key = qdrant_from_env(env)
        return cls(llm=llm, embed=embed, qdrant_url=qdrant_url, qdrant_api_key=qdrant_api_key)


def variables_help(groups: tuple[str, ...] = ("llm",)) -> str:
    """The variables of ``groups`` and the provider presets, as ``--help`` text."""
    lines = ["environment variables:"]
    lines += [f"  {v.name:<26} {v.help}" for v in VARIABLES if v.group in groups]
    if "llm" in groups:
        lines += ["", "provider presets (FAULT_NB_LLM_PROVIDER):"]
        lines += [f"  {name:<11} {url}" + (f"  key: {k}" if k else "") + (f"  model: {m}" if m else "")
                  for name, (url, k, m) in PRESETS.items()]
    return "\n".join(lines)


__all__ = ["Settings", "LLMSettings", "EmbedSettings", "SettingsError", "VARIABLES", "PRESETS", "Variable",
           "openai_key_for", "host_of", "qdrant_from_env", "variables_help", "PROXY_VARIABLES"]
