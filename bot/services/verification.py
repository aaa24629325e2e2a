"""Reading a payment off a chain and judging it: the adapters fetch the facts, the domain rules decide.

Shared by `/pay submit`, the watcher and `bountybot verify-payment`, so all three give the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import ChainConfig, Config
from bot.domain.payments import Chain, Expectation, Reason, Token, TxFacts, Verdict, evaluate
from bot.integrations.evm import EvmClient
from bot.integrations.rpc import RpcUnavailable
from bot.integrations.solana import SolanaClient


@dataclass
class ChainClients:
    evm: dict[Chain, EvmClient]
    solana: SolanaClient

    @classmethod
    def from_config(cls, config: Config) -> ChainClients:
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
    def __init__(self, config: Config, clients: ChainClients) -> None:
        self.config = config
        self.clients = clients

    def chain_config(self, chain: Chain) -> ChainConfig:
        return self.config.chains[chain.value]

    def tokens(self, chain: Chain) -> tuple[Token, ...]:
        return tuple(Token(t.symbol, t.address, t.decimals) for t in self.chain_config(chain).tokens)

    def expectation(self, chain: Chain, *, sender: str | None, reference: str | None = None) -> Expectation:
        return Expectation(self.tokens(chain), self.chain_config(chain).receiver, sender, reference)

    async def facts(self, chain: Chain, tx: str) -> TxFacts:
        if chain.is_evm:
            return await self.clients.evm[chain].tx_facts(tx)
        return await self.clients.solana.tx_facts(tx)

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
            return Verdict(
                Reason.INCONSISTENT, f"{chain.label} gave an answer that does not add up ({exc}); staff have been told."
            )
        return evaluate(facts, expect, seconds_per_block=self.chain_config(chain).seconds_per_block)
