"""The `tycostream` command line: every command's `--help` exits 0 with its usage and an
example, and bad arguments, bad values and bad files are refused with a message on stderr,
nothing on stdout and a non-zero exit status, before anything is started or connected.

Each run is the built binary in a clean environment (no DATABASE_*/GRAPHQL_*/SCHEMA_PATH from
the caller) with the test's temp dir as working directory (no `.env` picked up).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import binary, clean_environment

#: Every command, with arguments that are valid apart from what a test adds.
COMMANDS = {
    "serve": [],
    "demo": [],
    "check": [],
    "generate-schema": ["--source", "users", "--key", "id"],
    "schema": [],
    "query": ["--url", "postgres://materialize@127.0.0.1:1/materialize", "SELECT 1"],
    "sim": [],
    "capture": ["--upstream", "127.0.0.1:1", "--out", "captures"],
    "replay": ["missing.pgrec"],
}

#: A time limit per run: a command that wrongly accepted its arguments and started serving
#: fails the test instead of hanging it.
TIMEOUT = 60


def run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary(), *args], cwd=tmp_path, env=clean_environment(env or {}), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=TIMEOUT)


def assert_refused(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    """A refusal: non-zero exit, nothing on stdout, a message on stderr naming `expected`."""
    assert result.returncode != 0, f"exit 0 for a bad invocation; stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.stdout == "", f"an error must not write to stdout:\n{result.stdout}"
    assert result.stderr.strip(), "no message on stderr"
    for text in expected:
        assert text in result.stderr, f"{text!r} not in stderr:\n{result.stderr}"
    # A usage error shows the usage of the command it is about, never the bare top level.
    assert "Usage: tycostream <subcommand>" not in result.stderr, result.stderr


# --- help -------------------------------------------------------------------------------------


def test_top_level_help_lists_every_command_with_examples(tmp_path):
    result = run(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "USAGE: tycostream" in result.stdout
    for command in COMMANDS:
        assert f"  {command}" in result.stdout, f"{command} missing from the command list:\n{result.stdout}"
    assert "Examples:" in result.stdout
    assert "tycostream demo" in result.stdout


@pytest.mark.parametrize("command", list(COMMANDS))
def test_help_shows_usage_and_an_example(tmp_path, command):
    result = run(tmp_path, command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert f"USAGE: tycostream {command}" in result.stdout
    assert "OPTIONS:" in result.stdout
    examples = result.stdout.split("Examples:", 1)
    assert len(examples) == 2, f"no examples in `{command} --help`:\n{result.stdout}"
    assert f"tycostream {command}" in examples[1], f"no example of `{command}`:\n{examples[1]}"


@pytest.mark.parametrize("command", ["demo", "check", "query"])
def test_help_command_and_short_flag_agree_with_help(tmp_path, command):
    long = run(tmp_path, command, "--help")
    short = run(tmp_path, command, "-h")
    via_help = run(tmp_path, "help", command)
    assert short.returncode == 0 and via_help.returncode == 0
    assert short.stdout == long.stdout
    assert via_help.stdout == long.stdout


# --- bad arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", list(COMMANDS))
def test_unknown_option_is_refused(tmp_path, command):
    result = run(tmp_path, command, *COMMANDS[command], "--no-such-option")
    assert_refused(result, "--no-such-option")
    assert f"tycostream {command}" in result.stderr, "the usage of the command should follow the error"


def test_unknown_command_is_refused(tmp_path):
    # The default command is `serve`, so an unknown word is an unexpected argument of serve.
    assert_refused(run(tmp_path, "serv"), "serv")


@pytest.mark.parametrize(
    "args, expected",
    [
        (["demo", "--port", "70000"], "--port"),
        (["demo", "--port", "abc"], "--port"),
        (["demo", "--rate", "0"], "--rate"),
        (["serve", "--schema"], "--schema"),
        (["sim", "--port", "-5"], "--port"),
        (["sim", "--heartbeat-ms", "0"], "--heartbeat-ms"),
        (["sim", "--user", ":nobody"], "--user"),
        (["sim", "--user", "app:pw:kerberos"], "kerberos"),
        (["query", "SELECT 1"], "--url"),
        (["query", "--url", "mysql://localhost/x", "SELECT 1"], "postgres"),
        (["query", "--url", "postgres://localhost/x"], "sql"),
        (["generate-schema"], "--source"),
        (["generate-schema", "--source", "users", "--key", "id", "--enum", "rank"], "rank"),
        (["generate-schema", "--source", "users", "--key", "id", "--url", "nonsense"], "--url"),
        (["capture", "--upstream", "127.0.0.1:1"], "--out"),
        (["capture", "--upstream", "no-port", "--out", "captures"], "--upstream"),
        (["capture", "--listen", "127.0.0.1:99999", "--upstream", "127.0.0.1:1", "--out", "captures"], "--listen"),
        (["replay"], "file"),
        (["replay", "missing.pgrec"], "missing.pgrec"),
        (["replay", "--listen", "nowhere", "missing.pgrec"], "--listen"),
        (["sim", "--port", "0", "--sql", "missing.sql"], "missing.sql"),
    ],
)
def test_bad_values_are_refused(tmp_path, args, expected):
    assert_refused(run(tmp_path, *args), expected)


def test_malformed_recording_is_refused(tmp_path):
    (tmp_path / "bad.pgrec").write_text("this is not a recording\n")
    assert_refused(run(tmp_path, "replay", "bad.pgrec", "--once"), "bad.pgrec", "line 1")


def test_bad_sql_file_for_sim_is_refused(tmp_path):
    (tmp_path / "seed.sql").write_text("CREATE TABLE (;\n")
    assert_refused(run(tmp_path, "sim", "--port", "0", "--sql", "seed.sql"), "seed.sql")


def test_bad_setting_from_the_environment_is_named(tmp_path):
    result = run(tmp_path, "serve", env={"GRAPHQL_PORT": "port-four-thousand"})
    assert_refused(result, "GRAPHQL_PORT")


# --- schema files ------------------------------------------------------------------------------

INVALID_SCHEMA = """\
sources:
  users:
    primary_key: id
    columns:
      id: Integer
      name: Strin
"""


@pytest.mark.parametrize("command", ["check", "schema", "serve"])
def test_missing_schema_file_is_named(tmp_path, command):
    result = run(tmp_path, command, "--schema", "nowhere/schema.yaml")
    assert_refused(result, "nowhere/schema.yaml")


@pytest.mark.parametrize("command", ["check", "schema", "serve"])
def test_invalid_schema_file_is_explained(tmp_path, command):
    (tmp_path / "schema.yaml").write_text(INVALID_SCHEMA)
    result = run(tmp_path, command, "--schema", "schema.yaml")
    assert_refused(result, "Strin")


def test_schema_path_from_the_environment_is_used(tmp_path):
    result = run(tmp_path, "check", env={"SCHEMA_PATH": str(tmp_path / "elsewhere.yaml")})
    assert_refused(result, "elsewhere.yaml")


def test_schema_prints_sdl_for_a_valid_file(tmp_path):
    (tmp_path / "schema.yaml").write_text(INVALID_SCHEMA.replace("Strin", "String"))
    result = run(tmp_path, "schema")
    assert result.returncode == 0, result.stderr
    assert "users" in result.stdout and "type Subscription" in result.stdout


@pytest.mark.parametrize("command", ["check", "generate-schema", "serve"])
def test_unreadable_env_file_is_refused(tmp_path, command):
    (tmp_path / "settings.env").mkdir()  # a directory: exists, cannot be read as a file
    result = run(tmp_path, command, *COMMANDS[command], "--env-file", "settings.env")
    assert_refused(result, "settings.env")


@pytest.mark.parametrize("command", ["check", "generate-schema", "serve"])
def test_invalid_env_file_value_is_named(tmp_path, command):
    (tmp_path / ".env").write_text("DATABASE_PORT=sixty-eight\n")
    result = run(tmp_path, command, *COMMANDS[command])
    assert_refused(result, "DATABASE_PORT")
