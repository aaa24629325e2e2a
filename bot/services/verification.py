"""Reading a payment off a chain and judging it: the adapters fetch the facts, the domain rules decide.

Shared by `/pay submit`, the watcher and `bountybot verify-payment`, so all three give the same answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.config import ChainConfig, Config
from bot.domain.payments import Chain, Expectation, Reason, Token, TxFacts, Verdict, evaluate
from bot.integrations.rpc import RpcUnavailable

if TYPE_CHECKING:
    from bot.integrations.evm import EvmClient
    from bot.integrations.solana import SolanaClient

log = logging.getLogger(__name__)


@dataclass
class ChainClients:
    evm: dict[Chain, EvmClient]
    solana: SolanaClient

    @classmethod
    def from_config(cls, config: Config) -> ChainClients:
        """Build every chain's client. Imports web3 and solana-py (~1.3 s and ~20 MB the first time): call it
        from a worker thread when an event loop is running, as :meth:`Verifier.chain_clients` does."""
        from bot.integrations.evm import EvmClient
        from bot.integrations.solana import SolanaClient

        timeout = config.payments.rpc_timeout_seconds

        def urls(chain: ChainConfig) -> list[str]:
            return [u.get() for u in chain.rpc_urls]

        evm = {
            chain: EvmClient(
                chain, urls(config.chains[chain.value]), timeout=timeout, finality=config.chains[chain.value].finality
            )
            for chain in (Chain.ETHEREUM, Chain.BSC)
        }
        return cls(evm=evm, solana=SolanaClient(urls(config.chains["solana"]), timeout=timeout))

    def calls(self) -> int:
        return sum(c.rpc.calls for c in self.evm.values()) + self.solana.rpc.calls

    async def close(self) -> None:
        await self.solana.close()
        for client in self.evm.values():
            await client.close()


class Verifier:
    """Checks payments on chain. Given no clients, it builds them the first time a chain is asked (or when
    :meth:`chain_clients` is awaited ahead of need), so the bot starts without importing web3 and solana-py."""

    def __init__(self, config: Config, clients: ChainClients | None = None) -> None:
        self.config = config
        self._clients = clients
        self._building: asyncio.Future[ChainClients] | None = None
        self.built = asyncio.Event()  # set once the clients exist (and web3 and solana-py are imported)
        if clients is not None:
            self.built.set()

    @property
    def clients(self) -> ChainClients:
        """The built clients; before they exist, await :meth:`chain_clients` instead."""
        if self._clients is None:
            raise RuntimeError("the chain clients are built on first use: await Verifier.chain_clients()")
        return self._clients

    async def chain_clients(self) -> ChainClients:
        """The clients, built once in a worker thread: importing web3 takes over a second of CPU, and the
        event loop must never stall 50 ms. Callers arriving while it is built wait for the same build."""
        if self._clients is not None:
            return self._clients
        if self._building is None:
            self._building = asyncio.ensure_future(self._build())
        # Shielded: one impatient caller being cancelled must not cancel the build the others wait for.
        return await asyncio.shield(self._building)

    async def _build(self) -> ChainClients:
        started = time.perf_counter()
        try:
            clients = await asyncio.to_thread(ChainClients.from_config, self.config)
        except BaseException:
            self._building = None  # the next caller tries again
            raise
        self._clients = clients
        self.built.set()
        log.info("chain clients ready (web3, solana-py) in %.2f s", time.perf_counter() - started)
        return clients

    async def close(self) -> None:
        if self._building is not None and not self._building.done():
            # Closing while the build runs: let it finish, so its HTTP sessions can be closed too.
            with contextlib.suppress(Exception):
                await self._building
        if self._clients is not None:
            await self._clients.close()

    def chain_config(self, chain: Chain) -> ChainConfig:
        return self.config.chains[chain.value]

    def tokens(self, chain: Chain) -> tuple[Token, ...]:
        return tuple(Token(t.symbol, t.address, t.decimals) for t in self.chain_config(chain).tokens)

    def expectation(
        self, chain: Chain, *, sender: str | None, reference: str | None = None, references: tuple[str, ...] = ()
    ) -> Expectation:
        return Expectation(
            self.tokens(chain), self.chain_config(chain).receiver, sender, reference, references=references
        )

    async def facts(self, chain: Chain, tx: str) -> TxFacts:
        clients = await self.chain_clients()
        if chain.is_evm:
            return await clients.evm[chain].tx_facts(tx)
        return await clients.solana.tx_facts(tx)

    async def check(self, chain: Chain, tx: str, expect: Expectation) -> Verdict:
        """The verdict for one transaction; an RPC outage is "could not tell", never "not paid"."""
        try:
            facts = await self.facts(chain, tx)
        except RpcUnavailable as exc:
            return Verdict(
                Reason.RPC_UNAVAILABLE,
                f"Could not reach {chain.label} right now ({exc}). Nothing is "
                "lost: try again in a few minutes; the bot also keeps checking by itself.",
            )
        except (KeyError, TypeError, ValueError) as exc:
            # Whoever asked decides who to tell: `/pay submit` and the watcher alert staff, while the staff
            # command line shows it to the staff member running it. This says only what happened.
            log.warning("%s answered about %s in a shape that does not add up", chain.label, tx, exc_info=True)
            return Verdict(Reason.INCONSISTENT, f"{chain.label} gave an answer that does not add up ({exc!r}).")
        return evaluate(facts, expect, seconds_per_block=self.chain_config(chain).seconds_per_block)
