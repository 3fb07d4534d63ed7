import json
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
    read = set(re.findall(r'env_(?:str|bool|int|float|list|admins)\("([A-Z_]+)"', source))
    read |= set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', source))
    example = (settings.BASE_DIR / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", example, flags=re.MULTILINE))
    assert read - listed == set()


SENTRY_FACTS = (
    "import json, sys; from django.conf import settings;"
    "facts = {'enabled': settings.SENTRY_ENABLED, 'imported': 'sentry_sdk' in sys.modules};"
    "import sentry_sdk; client = sentry_sdk.get_client();"
    "facts.update(active=client.is_active(), dsn=client.dsn,"
    " pii=client.options['send_default_pii'], environment=client.options['environment'],"
    " traces=client.options['traces_sample_rate'],"
    " django='django' in client.integrations);"
    "print(json.dumps(facts))"
)


def sentry_facts(env: dict[str, str]) -> dict:
    result = manage("shell", "--no-imports", "-c", SENTRY_FACTS, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_sentry_is_not_even_imported_without_a_dsn():
    facts = sentry_facts({**PRODUCTION_ENV, "SENTRY_DSN": ""})

    assert (facts["enabled"], facts["imported"], facts["active"]) == (False, False, False)


def test_sentry_starts_without_personal_data_when_a_dsn_is_set():
    dsn = "https://publickey@127.0.0.1:9/42"  # nothing is sent: no error happens

    facts = sentry_facts({**PRODUCTION_ENV, "SENTRY_DSN": dsn})

    assert facts == {
        "enabled": True,
        "imported": True,
        "active": True,
        "dsn": dsn,
        "pii": False,
        "environment": "production",
        "traces": None,
        "django": True,
    }


def test_sentry_tags_each_event_with_the_request_id():
    from core.logs import request_id_var

    script = (
        "from django.conf import settings; import sentry_sdk; from core.logs import request_id_var;"
        "request_id_var.set('4f1c2a9be7d84e0c9a1b2c3d4e5f6a7b');"
        "before_send = sentry_sdk.get_client().options['before_send'];"
        "print(before_send({'message': 'x'}, {})['tags'])"
    )
    result = manage(
        "shell", "--no-imports", "-c", script, env={"SENTRY_DSN": "https://k@127.0.0.1:9/1"}
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "{'request_id': '4f1c2a9be7d84e0c9a1b2c3d4e5f6a7b'}"
    assert request_id_var.get() is None


def test_admins_are_read_from_the_environment():
    script = "from django.conf import settings; print(settings.ADMINS)"
    env = {"ADMINS": "Admin Monev <admin.monev@bps.go.id>, ops@bps.go.id"}

    result = manage("shell", "--no-imports", "-c", script, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == str(
        [("Admin Monev", "admin.monev@bps.go.id"), ("", "ops@bps.go.id")]
    )


def test_malformed_admins_fail_loudly():
    result = manage("check", env={"ADMINS": "Admin Monev"})

    assert result.returncode != 0
    assert "ADMINS='Admin Monev': use a comma-separated list" in result.stderr


def test_the_server_process_freezes_what_it_loaded_and_collects_young_objects_less_often():
    """monev.wsgi (what gunicorn loads) tunes the garbage collector (monev.runtime): without it
    a full collection paused the largest pages by 100–300 ms every few requests."""
    from monev.runtime import THRESHOLDS

    script = "import gc, monev.wsgi; print(list(gc.get_threshold()), gc.get_freeze_count())"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": "sqlite:///:memory:"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    thresholds, frozen = result.stdout.split("]")
    assert json.loads(thresholds + "]") == list(THRESHOLDS)
    assert int(frozen) > 10_000  # Django, the project's modules and the URLconf
