"""`bountybot` (also `python -m bot`): run, migrate, check-config, demo, backup."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from bot import logs
from bot.config import Config, ConfigError, load_config
from bot.domain.payments import Chain
from bot.store.db import DatabaseTooNew, open_database

log = logging.getLogger(__name__)


def _load(path: Path) -> Config | None:
    try:
        return load_config(path)
    except ConfigError as exc:
        print(f"Configuration problems in {path}:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return None


async def _migrate(config: Config) -> int:
    db = await open_database(config.database_path)
    try:
        applied = await db.migrate()
        version = await db.schema_version()
    except DatabaseTooNew as exc:
        print(f"Refusing to touch the database: {exc}", file=sys.stderr)
        return 2
    finally:
        await db.close()
    for m in applied:
        print(f"applied {m.version:03d}_{m.name}")
    print(f"{config.database_path}: schema version {version}")
    return 0


def _backup_refusal(config: Config, target: Path) -> str | None:
    if not config.database_path.exists():
        return f"There is no database at {config.database_path} to back up."
    if target.exists():
        return f"{target} already exists; choose a new file name so no backup is overwritten."
    return None


async def _backup(config: Config, target: Path) -> int:
    db = await open_database(config.database_path)
    try:
        await db.backup(target)
    finally:
        await db.close()
    print(f"backed up {config.database_path} to {target}")
    return 0


async def _run(config: Config) -> int:
    from bot.app import BountyBot

    bot = BountyBot(config)
    try:
        await bot.start(config.discord_token.get())
    except DatabaseTooNew as exc:
        log.error("%s", exc)
        return 2
    finally:
        if not bot.is_closed():
            await bot.close()
    return 0


def _check_config(path: Path) -> int:
    problems: list[str] = []
    config = None
    try:
        config = load_config(path)
    except ConfigError as exc:
        problems.extend(exc.problems)
    if not os.environ.get("DISCORD_TOKEN"):
        problems.append("environment DISCORD_TOKEN: missing (the bot token; it never goes in config.toml)")
    if problems:
        print(f"{len(problems)} problem(s) with {path}:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    assert config is not None
    print(f"{path}: ok (guild {config.discord.guild_id}, database {config.database_path})")
    print("Channels, categories and roles are checked against the server each time the bot starts.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bountybot", description="Hummingbot Connector Bounty bot")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("run", "connect to Discord and run the bot (applies pending migrations first)"),
        ("migrate", "apply pending database migrations"),
        ("check-config", "validate the configuration and name every problem"),
        ("backup", "copy the database with SQLite's online backup"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument(
            "--config", type=Path, default=Path("config.toml"), help="configuration file (default config.toml)"
        )
        if name == "backup":
            p.add_argument("path", type=Path, help="where to write the backup")
    verify = sub.add_parser("verify-payment", help="check one payment transaction with the bot's own verifier")
    verify.add_argument("--chain", required=True, choices=[c.value for c in Chain])
    verify.add_argument("--tx", required=True, help="transaction hash (EVM) or signature (Solana)")
    verify.add_argument("--sender", help="the wallet the payment must come from (default: any)")
    verify.add_argument("--reference", help="Solana Pay reference key the transfer must carry")
    verify.add_argument("--amount", type=int, help="USD amount required (default: the configured fee)")
    verify.add_argument("--config", type=Path, default=Path("config.toml"))
    verify.add_argument("--json", action="store_true", help="print one JSON object")
    demo = sub.add_parser("demo", help="play the bounty lifecycle against the local sandbox (no token needed)")
    demo.add_argument("--quiet", action="store_true", help="print only the summary")
    sub.add_parser("permissions", help="print who may run each command (the README's permission table)")
    args = parser.parse_args(argv)

    if args.command == "permissions":
        from bot.domain.access import permission_table

        print(permission_table())
        return 0

    if args.command == "demo":
        from bot.demo import run_demo

        logs.configure("WARNING", [])
        return asyncio.run(run_demo(quiet=args.quiet))

    if args.command == "check-config":
        return _check_config(args.config)
    config = _load(args.config)
    if config is None:
        return 2
    logs.configure(config.log_level, config.secrets)
    if args.command == "migrate":
        return asyncio.run(_migrate(config))
    if args.command == "verify-payment":
        from bot.verify_cli import render, verify_payment

        verdict = asyncio.run(
            verify_payment(
                config,
                Chain(args.chain),
                args.tx.strip(),
                sender=args.sender,
                reference=args.reference,
                amount_usd=args.amount,
            )
        )
        print(render(verdict, args.json))
        return verdict.exit_code
    if args.command == "backup":
        if refusal := _backup_refusal(config, args.path):
            print(refusal, file=sys.stderr)
            return 2
        return asyncio.run(_backup(config, args.path))
    if not config.discord_token:
        print(
            "DISCORD_TOKEN is not set: export the bot's token in the environment (never in config.toml).",
            file=sys.stderr,
        )
        return 2
    return asyncio.run(_run(config))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
