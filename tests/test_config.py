"""Configuration: typed, validated, every problem named; secrets only from the environment."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, Secret, load_config, parse_config
from bot.logs import SecretFilter

ROOT = Path(__file__).resolve().parents[1]


def problems_of(data: dict[str, object]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data, {})
    return caught.value.problems


def test_the_example_config_is_valid() -> None:
    config = load_config(ROOT / "config.example.toml", env={"DISCORD_TOKEN": "t0ken-value"})
    assert config.discord.api_base_url == "https://discord.com/api/v10"
    assert config.discord.gateway_url == "wss://gateway.discord.gg/"
    assert config.fees.default_usd == 10_000 and config.discord.staff_role == "hummingbot-foundation"


def test_missing_guild_id_is_named() -> None:
    assert problems_of({}) == ["[discord] guild_id: missing (the id of the server the bot runs in)"]


def test_every_invalid_key_is_named_at_once() -> None:
    problems = problems_of(
        {
            "discord": {
                "guild_id": "abc",
                "api_base_url": "ftp://x",
                "gateway_url": "https://x",
                "staff_role": "@staff",
                "colour": "blue",
            },
            "fees": {"default_usd": 5000},
            "updates": {"weekday": "someday", "hour": 25, "timezone": "Mars/Olympus"},
            "timeline": {"setup": 0},
            "logging": {"level": "LOUD"},
            "githubb": {},
        }
    )
    text = "\n".join(problems)
    for expected in (
        "[discord] guild_id: must be a Discord id",
        "[discord] api_base_url: 'ftp://x' must be a http or https URL",
        "[discord] gateway_url: 'https://x' must be a ws or wss URL",
        "[discord] staff_role: '@staff' is not a channel, category or role name",
        "[discord] colour: unknown key",
        "[fees] default_usd: 5000 must lie between min_usd (10000) and max_usd (25000)",
        "[updates] weekday: 'someday' is not a day of the week",
        "[updates] hour: must be 0–23, got 25",
        "[updates] timezone: 'Mars/Olympus' is not an IANA time zone",
        "[timeline] setup: must be greater than 0",
        "[logging] level: must be one of",
        "[githubb]: unknown section",
    ):
        assert expected in text, expected
    assert len(problems) == 12


def test_wrong_types_are_named() -> None:
    problems = problems_of({"discord": {"guild_id": 1, "intake_channel": 5}, "sla": {"critical_hours": "24"}})
    assert "[discord] intake_channel: must be a string, got 5" in problems
    assert "[sla] critical_hours: must be a whole number, got '24'" in problems


def test_secrets_never_show_themselves() -> None:
    config = parse_config({"discord": {"guild_id": 1}}, {"DISCORD_TOKEN": "super-secret-token"})
    assert config.discord_token.get() == "super-secret-token"
    assert "super-secret-token" not in repr(config)
    assert repr(Secret("x")) == "Secret('***')"


def test_the_log_filter_scrubs_secrets_from_messages_and_tracebacks() -> None:
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "token is %s", ("super-secret-token",), None)
    try:
        raise RuntimeError("failed with super-secret-token")
    except RuntimeError:
        import sys

        record.exc_info = sys.exc_info()
    SecretFilter(["super-secret-token"]).filter(record)
    assert record.getMessage() == "token is [redacted]"
    assert "super-secret-token" not in (record.exc_text or "") and "[redacted]" in (record.exc_text or "")


def test_check_config_names_problems_and_the_missing_token(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    path = tmp_path / "config.toml"
    path.write_text('[discord]\nguild_id = "x"\n')
    assert main(["check-config", "--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert "[discord] guild_id: must be a Discord id" in err
    assert "environment DISCORD_TOKEN: missing" in err


def test_check_config_accepts_a_good_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "t0ken-value")
    path = tmp_path / "config.toml"
    path.write_text("[discord]\nguild_id = 42\n")
    assert main(["check-config", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ok (guild 42" in out and "t0ken-value" not in out


def test_unreadable_and_broken_files_are_explained(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml", env={})
    broken = tmp_path / "broken.toml"
    broken.write_text("[discord\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken, env={})


def test_run_without_a_token_says_how_to_fix_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    path = tmp_path / "config.toml"
    path.write_text(f'[discord]\nguild_id = 42\n[database]\npath = "{tmp_path / "db.sqlite"}"\n')
    assert main(["run", "--config", str(path)]) == 2
    assert "DISCORD_TOKEN is not set" in capsys.readouterr().err


def test_chains_default_to_the_process_documents_addresses_and_tokens() -> None:
    config = parse_config({"discord": {"guild_id": 1}}, {})
    eth, bsc, sol = config.chains["ethereum"], config.chains["bsc"], config.chains["solana"]
    assert eth.receiver == "0x60D581aEa0644e74df60c7555e5166d32665d6b6" and eth.chain_id == 1
    assert bsc.receiver == "0xE517b826a26B439eCE92f3220628eC007049d915" and bsc.chain_id == 56
    assert sol.receiver == "5bhQNYaDEwEqjcjsuRJRuGyqbchzcDtYK49e593Wuc8i"
    assert {(t.symbol, t.decimals) for t in bsc.tokens} == {("USDC", 18), ("USDT", 18)}
    assert {(t.symbol, t.decimals) for t in eth.tokens} == {("USDC", 6), ("USDT", 6)}
    assert {t.address for t in sol.tokens} == {
        "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
        "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",
    }


def test_rpc_urls_from_the_environment_are_secrets() -> None:
    keyed = "https://eth.example.com/v2/sk-live-1234567890"
    config = parse_config({"discord": {"guild_id": 1}}, {"BOUNTYBOT_RPC_ETHEREUM": f"{keyed},https://b.example.com"})
    assert [u.get() for u in config.chains["ethereum"].rpc_urls] == [keyed, "https://b.example.com"]
    assert keyed in config.secrets and keyed not in repr(config)


def test_bad_chain_settings_are_named_without_revealing_keys() -> None:
    problems = problems_of(
        {
            "discord": {"guild_id": 1},
            "chains": {
                "ethereum": {
                    "rpc_urls": ["ftp://node.example.com/secret-key"],
                    "receiver": "0x123",
                    "finality": "soon",
                    "gas": 1,
                },
                "bsc": {
                    "tokens": [
                        {"symbol": "USDT", "address": "0x55d398326f99059fF775485246999027B3197955", "decimals": 99}
                    ]
                },
                "solana": {"receiver": "not base58 0OIl"},
            },
        }
    )
    text = "\n".join(problems)
    assert "[chains.ethereum] rpc_urls: ftp://node.example.com… must be an http or https URL" in text
    assert "secret-key" not in text
    assert "[chains.ethereum] receiver: `0x123` is not an address" in text
    assert '[chains.ethereum] finality: "finalized" or a number of confirmations' in text
    assert "[chains.ethereum] gas: unknown key" in text
    assert "[chains.bsc] tokens[0] decimals: must be a whole number 0–18, got 99" in text
    assert "[chains.solana] receiver:" in text
