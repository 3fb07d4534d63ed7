import os
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "MONEV_ENV": "production",
    "SECRET_KEY": "a-long-random-production-secret-key-for-the-check-0123456789-abcdef",
    "ALLOWED_HOSTS": "monev.example.go.id",
    "DATABASE_URL": "sqlite:///:memory:",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"MONEV_ENV", "DEBUG", "SECRET_KEY"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_production_refuses_to_start_without_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    env = {**PRODUCTION_ENV, "ALLOWED_HOSTS": ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_malformed_value_fails_loudly():
    result = manage("check", env={"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_local_defaults_speak_indonesian_in_jakarta_time():
    assert (settings.LANGUAGE_CODE, settings.TIME_ZONE, settings.USE_TZ) == (
        "id",
        "Asia/Jakarta",
        True,
    )


def test_env_example_lists_every_variable_the_settings_read():
    import re

    source = (settings.BASE_DIR / "monev" / "settings.py").read_text()
    read = set(re.findall(r'env_(?:str|bool|int|list)\("([A-Z_]+)"', source))
    read |= set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', source))
    example = (settings.BASE_DIR / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", example, flags=re.MULTILINE))
    assert read - listed == set()
