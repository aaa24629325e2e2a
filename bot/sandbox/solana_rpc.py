"""A Solana JSON-RPC stand-in on 127.0.0.1 whose answers have mainnet's `jsonParsed` shape.

It serves `getTransaction` (honouring `finalized` vs `confirmed`) and `getSignaturesForAddress`, for
transactions recorded from mainnet (``fixtures/mainnet/solana``) and for transfers it builds in the same
shape: `transferChecked`, `transfer` without a mint, a recipient token account created in the same
transaction, Token-2022, the transfer inside inner instructions, a failed one, one not yet finalized,
and Solana Pay transfers carrying a reference key.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from solders.keypair import Keypair
from solders.signature import Signature

from bot.sandbox.http import LocalServer

SPL_TOKEN = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
TOKEN_2022 = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"
SYSTEM = "11111111111111111111111111111111"
ATA = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"
MEMO = "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"
SOME_PROGRAM = "JUP6LkbZbjS1jKKwapdHNy74zcZ3tLUZoi5QNyVTaV4"  # a program that calls the token program (CPI)


def new_key() -> str:
    return str(Keypair().pubkey())


def new_signature() -> str:
    return str(Signature.new_unique())


def _balance(index: int, mint: str, owner: str, program: str, amount: int, decimals: int) -> dict[str, Any]:
    ui = amount / 10**decimals
    return {
        "accountIndex": index,
        "mint": mint,
        "owner": owner,
        "programId": program,
        "uiTokenAmount": {
            "amount": str(amount),
            "decimals": decimals,
            "uiAmount": ui,
            "uiAmountString": f"{ui:f}".rstrip("0").rstrip(".") or "0",
        },
    }


@dataclass
class StoredTx:
    result: dict[str, Any]
    finalized: bool
    addresses: tuple[str, ...]


@dataclass
class SolanaSandbox(LocalServer):
    transactions: dict[str, StoredTx] = field(default_factory=dict)
    fail: str | None = None  # "timeout" or "error": every request fails that way
    requests: list[str] = field(default_factory=list)
    _slot: Any = field(default_factory=lambda: itertools.count(300_000_000))

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/", self._handle)

    # --- content --------------------------------------------------------------------------------

    def load_recorded(self, transaction_file: Path, finalized: bool = True) -> str:
        """Serve a transaction recorded from mainnet, as recorded."""
        result = json.loads(transaction_file.read_text())["result"]
        sig = result["transaction"]["signatures"][0]
        keys = tuple(k["pubkey"] for k in result["transaction"]["message"]["accountKeys"])
        self.transactions[sig] = StoredTx(result, finalized, keys)
        return sig

    def transfer(
        self,
        *,
        payer: str,
        recipient: str,
        mint: str,
        amount: int,
        decimals: int = 6,
        kind: str = "transferChecked",
        program: str = SPL_TOKEN,
        create_account: bool = False,
        inner: bool = False,
        reference: str | None = None,
        failed: bool = False,
        finalized: bool = True,
        payer_balance: int | None = None,
    ) -> str:
        """Build and store a token transfer the way a mainnet node returns it; returns its signature."""
        sig = new_signature()
        fee_payer, source, destination = payer, new_key(), new_key()
        keys = [
            {"pubkey": fee_payer, "signer": True, "source": "transaction", "writable": True},
            {"pubkey": destination, "signer": False, "source": "transaction", "writable": True},
            {"pubkey": source, "signer": False, "source": "transaction", "writable": True},
            {"pubkey": recipient, "signer": False, "source": "transaction", "writable": False},
            {"pubkey": mint, "signer": False, "source": "transaction", "writable": False},
            {"pubkey": SYSTEM, "signer": False, "source": "transaction", "writable": False},
            {"pubkey": program, "signer": False, "source": "transaction", "writable": False},
            {"pubkey": ATA, "signer": False, "source": "transaction", "writable": False},
            {"pubkey": MEMO, "signer": False, "source": "transaction", "writable": False},
            {"pubkey": SOME_PROGRAM, "signer": False, "source": "transaction", "writable": False},
        ]
        if reference:
            keys.append({"pubkey": reference, "signer": False, "source": "transaction", "writable": False})
        start = payer_balance if payer_balance is not None else amount * 3
        moved = 0 if failed else amount
        pre = [_balance(2, mint, payer, program, start, decimals)]
        post = [
            _balance(2, mint, payer, program, start - moved, decimals),
            _balance(1, mint, recipient, program, moved + (0 if create_account else 5), decimals),
        ]
        if not create_account:
            pre.append(_balance(1, mint, recipient, program, 5, decimals))
        if kind == "transferChecked":
            info: dict[str, Any] = {
                "authority": payer,
                "destination": destination,
                "mint": mint,
                "source": source,
                "tokenAmount": {
                    "amount": str(amount),
                    "decimals": decimals,
                    "uiAmount": amount / 10**decimals,
                    "uiAmountString": str(amount / 10**decimals),
                },
            }
        else:  # plain `transfer` carries no mint
            info = {"amount": str(amount), "authority": payer, "destination": destination, "source": source}
        spl = "spl-token"
        transfer_ix = {
            "parsed": {"info": info, "type": kind},
            "program": spl,
            "programId": program,
            "stackHeight": None,
        }
        # Solana Pay adds the reference as a read-only key of the transfer: jsonParsed shows it among the
        # transaction's account keys (added above), which is where the bot looks for it.
        instructions: list[dict[str, Any]] = []
        inner_instructions: list[dict[str, Any]] = []
        if create_account:
            instructions.append(
                {
                    "parsed": {
                        "info": {
                            "account": destination,
                            "mint": mint,
                            "source": fee_payer,
                            "systemProgram": SYSTEM,
                            "tokenProgram": program,
                            "wallet": recipient,
                        },
                        "type": "create",
                    },
                    "program": "spl-associated-token-account",
                    "programId": ATA,
                    "stackHeight": None,
                }
            )
        if inner:
            instructions.append(
                {
                    "accounts": [source, destination, payer, program],
                    "data": "3Bxs4h24hBtQy9rw",
                    "programId": SOME_PROGRAM,
                    "stackHeight": None,
                }
            )
            inner_instructions.append(
                {"index": len(instructions) - 1, "instructions": [{**transfer_ix, "stackHeight": 2}]}
            )
        else:
            instructions.append(transfer_ix)
        logs = [
            f"Program {program} invoke [1]",
            f"Program log: Instruction: {kind[0].upper() + kind[1:]}",
            f"Program {program} consumed 6200 of 200000 compute units",
            f"Program {program} failed: custom program error: 0x1" if failed else f"Program {program} success",
        ]
        lamports = [10_000_000_000] + [2_039_280] * (len(keys) - 1)
        err = {"InstructionError": [0, {"Custom": 1}]} if failed else None
        result = {
            "blockTime": int(time.time()),
            "slot": next(self._slot),
            "version": 0,
            "meta": {
                "computeUnitsConsumed": 6200,
                "err": err,
                "fee": 5000,
                "innerInstructions": inner_instructions,
                "loadedAddresses": {"readonly": [], "writable": []},
                "logMessages": logs,
                "postBalances": [lamports[0] - 5000, *lamports[1:]],
                "postTokenBalances": post if not failed else [b for b in pre],
                "preBalances": lamports,
                "preTokenBalances": pre,
                "rewards": [],
                "status": {"Err": err} if failed else {"Ok": None},
            },
            "transaction": {
                "message": {
                    "accountKeys": keys,
                    "addressTableLookups": [],
                    "instructions": instructions,
                    "recentBlockhash": "EkSnNWid2cvwEVnVx9aBqawnmiCNiDgp3gUdkDPTKN1N",
                },
                "signatures": [sig],
            },
        }
        self.transactions[sig] = StoredTx(result, finalized, tuple(str(k["pubkey"]) for k in keys))
        return sig

    def finalize(self, sig: str) -> None:
        self.transactions[sig].finalized = True

    # --- JSON-RPC -------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body.get("method", "?"))
        if self.fail == "timeout":
            await asyncio.sleep(30)
        if self.fail == "error":
            return web.json_response(
                {
                    "jsonrpc": "2.0",
                    "id": body.get("id"),
                    "error": {
                        "code": -32005,
                        "message": "Node is behind by 1200 slots",
                        "data": {"numSlotsBehind": 1200},
                    },
                }
            )
        method, params = body["method"], body.get("params") or []
        options = params[1] if len(params) > 1 and isinstance(params[1], dict) else {}
        commitment = options.get("commitment") or "finalized"
        result: Any
        if method == "getTransaction":
            stored = self.transactions.get(params[0])
            visible = stored is not None and (stored.finalized or commitment != "finalized")
            result = copy.deepcopy(stored.result) if stored is not None and visible else None
        elif method == "getSignaturesForAddress":
            rows = []
            for sig, stored in self.transactions.items():
                if params[0] in stored.addresses and (stored.finalized or commitment != "finalized"):
                    rows.append(
                        {
                            "signature": sig,
                            "slot": stored.result["slot"],
                            "err": stored.result["meta"]["err"],
                            "memo": None,
                            "blockTime": stored.result["blockTime"],
                            "confirmationStatus": "finalized" if stored.finalized else "confirmed",
                        }
                    )
            result = sorted(rows, key=lambda r: -r["slot"])[: options.get("limit") or 1000]
        elif method == "getHealth":
            result = "ok"
        else:
            return web.json_response(
                {"jsonrpc": "2.0", "id": body.get("id"), "error": {"code": -32601, "message": "Method not found"}}
            )
        return web.json_response({"jsonrpc": "2.0", "id": body.get("id"), "result": result})
