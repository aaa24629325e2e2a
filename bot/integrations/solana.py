"""Solana through solana-py: transactions in jsonParsed form and signatures by address. Typed facts, no rules."""

from __future__ import annotations

import json
from typing import Any

from solana.rpc.async_api import AsyncClient
from solders.pubkey import Pubkey
from solders.signature import Signature

from bot.domain.payments import TOKEN_PROGRAMS, Chain, Transfer, TxFacts
from bot.integrations.rpc import Failover


def token_transfers(meta: dict[str, Any]) -> tuple[Transfer, ...]:
    """Credits of each mint read from the token balances: post − pre per token account (an account created
    in this transaction has no pre balance and starts from 0). The payer is the owner whose balance of the
    same mint fell the most."""

    def key(b: dict[str, Any]) -> tuple[int, str]:
        return int(b["accountIndex"]), str(b["mint"])

    def usable(b: dict[str, Any]) -> bool:
        return b.get("programId") in (None, *TOKEN_PROGRAMS)

    pre = {key(b): b for b in meta.get("preTokenBalances") or [] if usable(b)}
    post = {key(b): b for b in meta.get("postTokenBalances") or [] if usable(b)}
    deltas: dict[tuple[int, str], int] = {}
    owners: dict[tuple[int, str], str] = {}
    for k in set(pre) | set(post):
        before = int(pre[k]["uiTokenAmount"]["amount"]) if k in pre else 0
        after = int(post[k]["uiTokenAmount"]["amount"]) if k in post else 0
        deltas[k] = after - before
        owners[k] = str((post.get(k) or pre[k]).get("owner", ""))
    found = []
    for (index, mint), delta in sorted(deltas.items()):
        if delta <= 0:
            continue
        debits = [(d, owners[k]) for k, d in deltas.items() if k[1] == mint and d < 0]
        sender = min(debits)[1] if debits else ""
        found.append(Transfer(token=mint, sender=sender, recipient=owners[(index, mint)], amount=delta, index=index))
    return tuple(found)


def account_keys(tx: dict[str, Any]) -> tuple[str, ...]:
    keys = tx["transaction"]["message"]["accountKeys"]
    return tuple(k["pubkey"] if isinstance(k, dict) else str(k) for k in keys)


class SolanaClient:
    def __init__(self, urls: list[str], *, timeout: float) -> None:
        self.rpc = Failover(urls, lambda url: AsyncClient(url, timeout=timeout))

    async def _transaction(self, sig: Signature, commitment: str) -> dict[str, Any] | None:
        async def get(client: AsyncClient) -> Any:
            resp = await client.get_transaction(
                sig,
                encoding="jsonParsed",
                commitment=commitment,  # type: ignore[arg-type]
                max_supported_transaction_version=0,
            )
            return json.loads(resp.to_json()).get("result")

        result: dict[str, Any] | None = await self.rpc.call("transaction", get)
        return result

    async def tx_facts(self, signature: str) -> TxFacts:
        sig = Signature.from_string(signature)
        found = await self._transaction(sig, "finalized")
        final = found is not None
        if found is None:
            found = await self._transaction(sig, "confirmed")
            if found is None:
                return TxFacts(Chain.SOLANA, signature, found=False)
        meta = found.get("meta") or {}
        return TxFacts(
            chain=Chain.SOLANA,
            tx=signature,
            found=True,
            succeeded=meta.get("err") is None,
            final=final,
            blocks_to_finality=None if final else 32,
            transfers=token_transfers(meta),
            account_keys=account_keys(found),
        )

    async def signatures_for(self, address: str, limit: int = 50) -> list[str]:
        """Finalized, successful signatures mentioning `address` (a Solana Pay reference key), newest first."""
        key = Pubkey.from_string(address)

        async def get(client: AsyncClient) -> Any:
            resp = await client.get_signatures_for_address(key, limit=limit, commitment="finalized")  # type: ignore[arg-type]
            return json.loads(resp.to_json()).get("result") or []

        rows = await self.rpc.call("signatures", get)
        return [r["signature"] for r in rows if r.get("err") is None]

    async def close(self) -> None:
        for _, client in self.rpc.endpoints:
            await client.close()
