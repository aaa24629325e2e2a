"""Ethereum and BSC through web3: receipts, the finalized block, and Transfer logs. Typed facts, no rules."""

from __future__ import annotations

from typing import Any

from web3 import AsyncHTTPProvider, AsyncWeb3
from web3.exceptions import TransactionNotFound

from bot.domain.payments import TRANSFER_TOPIC, Chain, Transfer, TxFacts
from bot.integrations.rpc import Failover, NotThere


def _hex(value: Any) -> str:
    return value.hex() if hasattr(value, "hex") and not isinstance(value, str) else str(value)


def _int(value: Any) -> int:
    """Quantities arrive as ints from web3 and as 0x-hex strings in raw JSON-RPC."""
    return int(value, 16) if isinstance(value, str) else int(value)


def _address_topic(topic: Any) -> str:
    text = _hex(topic).removeprefix("0x")
    return "0x" + text[-40:].lower()


def transfers_in(logs: list[Any]) -> tuple[Transfer, ...]:
    """ERC-20 Transfer events among `logs`; anything else (other events, malformed ones) is skipped."""
    found = []
    for entry in logs:
        topics = [_hex(t) for t in entry["topics"]]
        topics = [t if t.startswith("0x") else "0x" + t for t in topics]
        data = _hex(entry["data"]).removeprefix("0x")
        if len(topics) != 3 or topics[0].lower() != TRANSFER_TOPIC or len(data) != 64:
            continue
        found.append(
            Transfer(
                token=str(entry["address"]).lower(),
                sender=_address_topic(topics[1]),
                recipient=_address_topic(topics[2]),
                amount=int(data, 16),
                index=_int(entry["logIndex"]),
            )
        )
    return tuple(found)


class EvmClient:
    def __init__(self, chain: Chain, urls: list[str], *, timeout: float, finality: str | int) -> None:
        self.chain = chain
        self.finality = finality
        self.rpc = Failover(
            urls,
            lambda url: AsyncWeb3(
                AsyncHTTPProvider(url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None)
            ),
        )

    async def close(self) -> None:
        for _, w3 in self.rpc.endpoints:
            await w3.provider.disconnect()

    async def final_block(self) -> int:
        """The highest block that counts as final: the chain's `finalized` tag, or latest − N confirmations."""
        if self.finality == "finalized":
            block = await self.rpc.call("finalized block", lambda w3: w3.eth.get_block("finalized"))
            return int(block["number"])
        latest = await self.rpc.call("block number", lambda w3: w3.eth.block_number)
        return int(latest) - int(self.finality) + 1

    async def tx_facts(self, tx: str) -> TxFacts:
        async def receipt(w3: AsyncWeb3) -> Any:
            try:
                return await w3.eth.get_transaction_receipt(tx)  # type: ignore[arg-type]
            except TransactionNotFound as exc:
                raise NotThere(tx) from exc

        try:
            found = await self.rpc.call("receipt", receipt)
        except NotThere:
            return TxFacts(self.chain, tx, found=False)
        status = found.get("status")
        final_block = await self.final_block()
        block = int(found["blockNumber"])
        return TxFacts(
            chain=self.chain,
            tx=tx,
            found=True,
            succeeded=None if status is None else int(status) == 1,
            final=block <= final_block,
            blocks_to_finality=max(0, block - final_block),
            transfers=transfers_in(list(found["logs"])),
        )

    async def transfers_to(
        self, token: str, receiver: str, senders: list[str] | None, from_block: int, to_block: int
    ) -> list[tuple[str, Transfer]]:
        """(tx hash, transfer) for every Transfer of `token` to `receiver` in the block range, from any of
        `senders` (one query for them all: a topic position matches any value of a list), or from anyone."""
        pad = lambda a: "0x" + a.lower().removeprefix("0x").rjust(64, "0")  # noqa: E731
        topics: list[Any] = [TRANSFER_TOPIC, [pad(s) for s in senders] if senders else None, pad(receiver)]
        params: Any = {
            "address": AsyncWeb3.to_checksum_address(token),
            "fromBlock": from_block,
            "toBlock": to_block,
            "topics": topics,
        }
        logs = await self.rpc.call("logs", lambda w3: w3.eth.get_logs(params))
        out = []
        for entry in logs:
            for transfer in transfers_in([entry]):
                out.append((_hex(entry["transactionHash"]).lower(), transfer))
        return [(tx if tx.startswith("0x") else "0x" + tx, t) for tx, t in out]
