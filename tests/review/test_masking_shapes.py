"""Masking against the shapes real apps contain: values go, declarations and identifiers stay."""
from __future__ import annotations

import pytest

from fault_nb.review.secrets import mask_messages, mask_secrets, unique_secrets

KEPT = [
    "password = Column(String)",  # SQLAlchemy model
    "hashed_password = Column(String(128), nullable=False)",
    "password: Mapped[str] = mapped_column(String(128))",
    "api_key = models.CharField(max_length=64)",  # Django
    "API_KEY = settings.api_key",  # settings read elsewhere
    "DB_PASSWORD = os.environ['DB_PASSWORD']",
    "SECRET_KEY = os.getenv('SECRET_KEY')",
    "TOKEN_URL = build_url(base)",
    'password_field = "password"',
    'auth_header = "Authorization"',
    'api_key_header = "X-Api-Key"',
    'token_url = "https://auth.example.com/oauth/token"',
    'password_hint = "at least 12 characters"',
    "class Settings(BaseSettings):\n    api_key: str\n    db_password: SecretStr",
    "PASSWORD_MIN_LENGTH = 12",
]
MASKED = [
    ('SECRET_KEY = "django-insecure-9f8e7d6c5b4a"', "django-insecure-9f8e7d6c5b4a"),
    ('    api_key: str = "k3y-live-0123456789"', "k3y-live-0123456789"),  # pydantic settings default
    ("DB_PASSWORD=s3cr3t-pw", "s3cr3t-pw"),  # .env shape
    ("export API_TOKEN=abcd1234efgh", "abcd1234efgh"),
    ('{"password": "hunter22"}', "hunter22"),  # JSON / YAML config
    ("DATABASE_URL = 'postgresql://app:pg-pass-123@db:5432/app'", "pg-pass-123"),
]


@pytest.mark.parametrize("text", KEPT)
def test_declarations_and_identifiers_are_not_masked(text):
    masked, found = mask_secrets(text, "app.py")
    assert masked == text and found == []


@pytest.mark.parametrize("text,value", MASKED)
def test_values_are_masked(text, value):
    masked, found = mask_secrets(text, "app.py")
    assert value not in masked and len(found) == 1


def test_a_secret_repeated_across_chunks_and_calls_counts_once():
    prompt = ('### app.py lines 1-2: <module>\n```python\nTOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"\n```\n'
              '### app.py lines 10-12: handler\n```python\nTOKEN = "ghp_abcdefghijklmnopqrstuvwxyz0123456789"\n```\n')
    calls = [mask_messages([{"role": "user", "content": prompt}])[1] for _ in range(3)]
    found = [m.to_dict() for call in calls for m in call]
    assert len(found) == 6 and len(unique_secrets(found)) == 1
    assert found[0]["location"] == "message[0]:user:app.py" and "ghp_" not in str(found)
